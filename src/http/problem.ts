// Errors as RFC 9457 problem documents (application/problem+json): a type URI
// naming the kind of problem, a title, the status, and a detail that says what
// to change. Validation errors list each field.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const PROBLEM_TYPES = {
  validation: 'urn:mailroom:problem:validation',
  unauthorized: 'urn:mailroom:problem:unauthorized',
  notFound: 'urn:mailroom:problem:not-found',
  conflict: 'urn:mailroom:problem:conflict',
  unsupportedMedia: 'urn:mailroom:problem:unsupported-media-type',
  badRequest: 'urn:mailroom:problem:bad-request',
  refused: 'urn:mailroom:problem:refused',
  tooLarge: 'urn:mailroom:problem:too-large',
  rateLimited: 'urn:mailroom:problem:rate-limited',
  internal: 'urn:mailroom:problem:internal',
} as const;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { path: string; message: string }[];
}

export class HttpProblem extends Error {
  readonly problem: Problem;
  constructor(status: number, type: string, title: string, detail: string, errors?: Problem['errors']) {
    super(detail);
    this.problem = { type, title, status, detail, ...(errors ? { errors } : {}) };
  }
}

export const notFound = (detail: string): HttpProblem => new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', detail);
export const badRequest = (detail: string): HttpProblem => new HttpProblem(400, PROBLEM_TYPES.badRequest, 'Bad request', detail);
export const conflict = (detail: string): HttpProblem => new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', detail);

export function problemResponse(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as ContentfulStatusCode, { 'content-type': 'application/problem+json' });
}

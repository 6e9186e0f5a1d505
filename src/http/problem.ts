// Errors as RFC 9457 problem documents (application/problem+json): a type URI
// naming the kind of problem, a title, the status, and a detail that says what
// to change. Validation errors list each field.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError } from '../errors.ts';

export const PROBLEM_TYPES = {
  validation: 'urn:mailroom:problem:validation',
  unauthorized: 'urn:mailroom:problem:unauthorized',
  notFound: 'urn:mailroom:problem:not-found',
  conflict: 'urn:mailroom:problem:conflict',
  unsupportedMedia: 'urn:mailroom:problem:unsupported-media-type',
  badRequest: 'urn:mailroom:problem:bad-request',
  refused: 'urn:mailroom:problem:refused',
  forbidden: 'urn:mailroom:problem:forbidden',
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

export function problemResponse(c: Context, problem: Problem): Response {
  return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as ContentfulStatusCode, { 'content-type': 'application/problem+json' });
}

/** A domain error as a problem document: its kind picks the status and type, its field the entry in `errors`. */
export function problemOf(err: DomainError): Problem {
  const errors = err.field ? { errors: [{ path: err.field, message: err.message }] } : {};
  switch (err.kind) {
    case 'not_found':
      return { type: PROBLEM_TYPES.notFound, title: 'Not found', status: 404, detail: err.message };
    case 'invalid':
      return { type: PROBLEM_TYPES.validation, title: 'Invalid request', status: 400, detail: err.message, ...errors };
    case 'conflict':
      return { type: PROBLEM_TYPES.conflict, title: 'Conflict', status: 409, detail: err.message };
    case 'refused':
      return { type: PROBLEM_TYPES.refused, title: 'Refused', status: 422, detail: err.message, ...errors };
    case 'forbidden':
      return { type: PROBLEM_TYPES.forbidden, title: 'Forbidden', status: 403, detail: err.message };
  }
}

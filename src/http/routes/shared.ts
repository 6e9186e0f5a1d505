// What every route file declares the same way: the bearer security of its
// routes, and the response shapes of the OpenAPI document (JSON and problems).
import type { z } from '@hono/zod-openapi';
import { ProblemSchema } from '../schemas.ts';

/** Every /v1 route takes the API token as a bearer token. */
export const security = [{ bearer: [] }];

/** A problem response (RFC 9457) in the OpenAPI document. */
export const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description });

/** A JSON response of this schema in the OpenAPI document. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

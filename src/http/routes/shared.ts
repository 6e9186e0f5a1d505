// What every route file declares the same way: the bearer security of its
// routes, and the response shapes of the OpenAPI document (JSON and problems).
import { z } from '@hono/zod-openapi';
import { ProblemSchema } from '../schemas.ts';

/** Every /v1 route takes the API token as a bearer token. */
export const security = [{ bearer: [] }];

/** A problem response (RFC 9457) in the OpenAPI document. */
export const problem = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description });

/** A JSON response of this schema in the OpenAPI document. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

/** A numeric id in the path (/v1/webhooks/{id}, /v1/accounts/{id}/test, /v1/inboxes/{id}). */
export const NumericId = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

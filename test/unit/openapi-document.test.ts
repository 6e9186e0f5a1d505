// The OpenAPI document says what the API answers: a nullable enum must list
// null among its values, or a validator (and a generated client) refuses the
// nulls the API sends. zod's .nullable() on a literal or enum renders that way,
// so the schemas use a union with z.null() instead; this keeps it so.
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../support/client-schema.ts';

function nullableEnumsWithoutNull(node: unknown, path: string, found: string[]): string[] {
  if (!node || typeof node !== 'object') return found;
  const o = node as Record<string, unknown>;
  if (Array.isArray(o.enum) && Array.isArray(o.type) && (o.type as unknown[]).includes('null') && !(o.enum as unknown[]).includes(null)) found.push(path);
  for (const [key, value] of Object.entries(o)) nullableEnumsWithoutNull(value, `${path}/${key}`, found);
  return found;
}

describe('the OpenAPI document', () => {
  it('has no nullable enum that leaves null out of its values', async () => {
    expect(nullableEnumsWithoutNull(await buildOpenApiDocument(), '', [])).toEqual([]);
  });
});

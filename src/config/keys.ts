// The flat list of configuration keys derived from the schema, with the env
// variable that sets each one. Used by the loader and by `mailroom config keys`.
import { z } from 'zod';
import { configSchema } from './schema.ts';

export type KeyType = 'string' | 'integer' | 'number' | 'boolean';

export interface ConfigKey {
  /** Dotted path, e.g. smtp.tls.cert */
  path: string;
  env: string;
  type: KeyType;
  enumValues?: readonly string[];
  minimum?: number;
  maximum?: number;
  defaultValue: unknown;
  description: string;
}

interface JsonSchemaNode {
  type?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchemaNode>;
}

/** camelCase -> CAMEL_CASE, the env spelling of one path segment. */
function envSegment(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envName(path: readonly string[]): string {
  return ['MAILROOM', ...path.map(envSegment)].join('_');
}

function collect(node: JsonSchemaNode, path: string[], out: ConfigKey[]): void {
  if (node.properties) {
    for (const [name, child] of Object.entries(node.properties)) collect(child, [...path, name], out);
    return;
  }
  const type = (node.enum ? 'string' : node.type) as KeyType;
  out.push({
    path: path.join('.'),
    env: envName(path),
    type,
    ...(node.enum ? { enumValues: node.enum } : {}),
    ...(node.minimum !== undefined ? { minimum: node.minimum } : {}),
    ...(node.maximum !== undefined ? { maximum: node.maximum } : {}),
    defaultValue: node.default,
    description: node.description ?? '',
  });
}

let cached: ConfigKey[] | undefined;

export function configKeys(): readonly ConfigKey[] {
  if (!cached) {
    const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
    cached = [];
    collect(json, [], cached);
  }
  return cached;
}

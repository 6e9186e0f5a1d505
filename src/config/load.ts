// Reads the configuration: the YAML file named by MAILROOM_CONFIG (or --config),
// then MAILROOM_<SECTION>_<KEY> environment variables on top, then validates.
// Any bad value stops the start with every problem listed, each naming the key.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configKeys, type ConfigKey } from './keys.ts';
import { configSchema, type Config } from './schema.ts';

/** Environment variables with a meaning of their own, not config keys. */
const NON_KEY_VARIABLES = new Set(['MAILROOM_CONFIG', 'MAILROOM_SECRET_KEY']);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** A file path that wins over MAILROOM_CONFIG (the --config flag). */
  file?: string;
}

type Tree = Record<string, unknown>;

function readFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${path}: cannot read it (${(err as Error).message})`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`config file ${path}: not valid YAML (${(err as Error).message})`]);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([`config file ${path}: expected a mapping of sections (data, smtp, ...) at the top`]);
  }
  return doc as Tree;
}

function accepted(key: ConfigKey): string {
  if (key.enumValues) return `one of ${key.enumValues.join(', ')}`;
  const range =
    key.minimum !== undefined && key.maximum !== undefined
      ? ` from ${key.minimum} to ${key.maximum}`
      : key.minimum !== undefined
        ? ` of at least ${key.minimum}`
        : '';
  switch (key.type) {
    case 'integer':
      return `an integer${range}`;
    case 'number':
      return `a number${range}`;
    case 'boolean':
      return 'true or false';
    default:
      return 'a string';
  }
}

function coerce(key: ConfigKey, raw: string): { value: unknown } | { problem: string } {
  const bad = { problem: `${key.env}=${JSON.stringify(raw)}: ${key.path} must be ${accepted(key)}` };
  switch (key.type) {
    case 'integer':
      return /^-?\d+$/.test(raw.trim()) ? { value: Number(raw) } : bad;
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? { value: Number(raw) } : bad;
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return { value: true };
      if (/^(false|0|no)$/i.test(raw)) return { value: false };
      return bad;
    default:
      return { value: raw };
  }
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

function describeIssue(issue: z.core.$ZodIssue, keys: readonly ConfigKey[]): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path ? `${path}.` : '';
    return issue.keys.map((k) => `${where}${k}: unknown key (known keys: mailroom config keys)`);
  }
  const key = keys.find((k) => k.path === path);
  return [key ? `${path} (env ${key.env}): must be ${accepted(key)}; ${issue.message}` : `${path || '(top)'}: ${issue.message}`];
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.MAILROOM_CONFIG;
  const tree: Tree = file ? readFile(file) : {};
  const keys = configKeys();
  const problems: string[] = [];

  const known = new Set(keys.map((k) => k.env));
  for (const name of Object.keys(env)) {
    if (name.startsWith('MAILROOM_') && !known.has(name) && !NON_KEY_VARIABLES.has(name)) {
      problems.push(`${name}: no such setting (see: mailroom config keys)`);
    }
  }
  for (const key of keys) {
    const raw = env[key.env];
    if (raw === undefined) continue;
    const result = coerce(key, raw);
    if ('problem' in result) problems.push(result.problem);
    else setPath(tree, key.path.split('.'), result.value);
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, keys)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

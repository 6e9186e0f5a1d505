// Reads the configuration: the YAML file named by MAILROOM_CONFIG (or --config),
// then MAILROOM_<SECTION>_<KEY> environment variables on top, then validates.
// Any bad value stops the start with every problem listed, each naming the key
// and where it was set: the file and line, or the environment variable.
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configKeys, type ConfigKey } from './keys.ts';
import { configSchema, type Config } from './schema.ts';
import { nearest, readConfigFile, type ConfigFile } from './source.ts';

/** Environment variables with a meaning of their own, not config keys. */
const NON_KEY_VARIABLES = new Set(['MAILROOM_CONFIG', 'MAILROOM_SECRET_KEY']);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** A file path that wins over MAILROOM_CONFIG (the --config flag). */
  file?: string;
}

type Tree = Record<string, unknown>;

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

/** Where the settings came from, to name it in each problem. */
interface Origins {
  file: ConfigFile | null;
  /** Dotted path -> the variable that set it (it wins over the file). */
  env: Map<string, string>;
}

function describeIssue(issue: z.core.$ZodIssue, keys: readonly ConfigKey[], origins: Origins): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const siblings = keys.filter((k) => k.path.startsWith(path ? `${path}.` : '')).map((k) => k.path.slice(path ? path.length + 1 : 0).split('.')[0] as string);
    return issue.keys.map((name) => {
      const where = origins.file?.where([...issue.path, name], { key: true });
      const guess = nearest(name, [...new Set(siblings)]);
      const full = path ? `${path}.${name}` : name;
      const hint = guess ? `did you mean \`${path ? `${path}.${guess}` : guess}\`?` : 'see: npx mailroom config keys';
      return `${where ? `${where}: ` : ''}${full}: unknown key (${hint})`;
    });
  }
  const key = keys.find((k) => k.path === path);
  const rule = key ? `must be ${accepted(key)}; ${issue.message}` : issue.message;
  const variable = origins.env.get(path);
  if (variable) return [`${path} (env ${variable}): ${rule}`];
  const where = origins.file?.where(issue.path);
  return [`${where ? `${where}: ` : ''}${path || '(top)'}: ${rule}`];
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.MAILROOM_CONFIG;
  const source = file ? readConfigFile(file) : null;
  const tree: Tree = source?.tree ?? {};
  const origins: Origins = { file: source, env: new Map() };
  const keys = configKeys();
  const problems: string[] = [];

  const known = new Set(keys.map((k) => k.env));
  for (const name of Object.keys(env)) {
    if (name.startsWith('MAILROOM_') && !known.has(name) && !NON_KEY_VARIABLES.has(name)) {
      const guess = nearest(name, [...known, ...NON_KEY_VARIABLES]);
      problems.push(`${name}: no such setting (${guess ? `did you mean ${guess}?` : 'see: npx mailroom config keys'})`);
    }
  }
  for (const key of keys) {
    const raw = env[key.env];
    if (raw === undefined) continue;
    const result = coerce(key, raw);
    if ('problem' in result) problems.push(result.problem);
    else {
      setPath(tree, key.path.split('.'), result.value);
      origins.env.set(key.path, key.env);
    }
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) problems.push(...parsed.error.issues.flatMap((issue) => describeIssue(issue, keys, origins)));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

// The configuration reference as Markdown, generated from the schema: the table
// in docs/configuration.md is this text (a unit test keeps the two equal;
// `node scripts/config-docs.ts` rewrites the file).
import { configKeys } from './keys.ts';

function shown(value: unknown): string {
  if (value === '' || value === undefined) return '(empty)';
  return `\`${String(value)}\``;
}

function range(min: number | undefined, max: number | undefined): string {
  const unbounded = max === undefined || max > Number.MAX_SAFE_INTEGER / 2;
  if (min === undefined && unbounded) return '';
  if (unbounded) return ` (at least ${min})`;
  return min === undefined ? ` (at most ${max})` : ` (${min} to ${max})`;
}

/** One row per key: key, environment variable, default, meaning. */
export function configReferenceTable(): string {
  const rows = configKeys().map((k) => {
    const values = k.enumValues ? ` One of ${k.enumValues.map((v) => `\`${v}\``).join(', ')}.` : '';
    const meaning = `${k.description.replace(/\|/g, '\\|')}${values}${k.type === 'integer' || k.type === 'number' ? range(k.minimum, k.maximum) : ''}`;
    return `| \`${k.path}\` | \`${k.env}\` | ${shown(k.defaultValue)} | ${meaning} |`;
  });
  return ['| key | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

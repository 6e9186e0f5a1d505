import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configKeys, configSchema, loadConfig } from '../../src/config/index.ts';
import { configReferenceTable } from '../../src/config/reference.ts';
import { ConfigError } from '../../src/errors.ts';
import { tempDir } from '../helpers/server.ts';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('config/default.yaml states exactly the schema defaults', () => {
    const file = parse(readFileSync('config/default.yaml', 'utf8')) as unknown;
    expect(file).toEqual(configSchema.parse({}));
  });

  it('docs/configuration.md carries the table generated from the schema (node scripts/config-docs.ts rewrites it)', () => {
    const doc = readFileSync('docs/configuration.md', 'utf8');
    expect(doc).toContain(configReferenceTable());
    for (const key of configKeys()) expect(doc, key.path).toContain(`| \`${key.path}\` | \`${key.env}\` |`);
  });

  it('config/example.yaml is valid', () => {
    const config = loadConfig({ env: {}, file: 'config/example.yaml' });
    expect(config.smtp.port).toBe(25);
  });

  it('every key has a description and an env variable MAILROOM_<SECTION>_<KEY>', () => {
    for (const key of configKeys()) {
      expect(key.description, key.path).not.toBe('');
      expect(key.env).toMatch(/^MAILROOM_[A-Z0-9_]+$/);
    }
    const envs = configKeys().map((k) => k.env);
    expect(envs).toEqual(expect.arrayContaining(['MAILROOM_DATA_DIR', 'MAILROOM_SMTP_HOST', 'MAILROOM_SMTP_PORT', 'MAILROOM_SMTP_TLS_CERT']));
  });

  it('environment variables override the file, with types coerced', () => {
    const dir = tempDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'smtp:\n  port: 2600\n  hostname: from-file.example\n');
    const config = loadConfig({ env: { MAILROOM_CONFIG: file, MAILROOM_SMTP_PORT: '2700', MAILROOM_DATA_DIR: '/srv/x' } });
    expect(config.smtp.port).toBe(2700);
    expect(config.smtp.hostname).toBe('from-file.example');
    expect(config.data.dir).toBe('/srv/x');
  });

  it.each([
    [{ MAILROOM_SMTP_PORT: 'abc' }, /MAILROOM_SMTP_PORT="abc": smtp.port must be an integer from 0 to 65535/],
    [{ MAILROOM_SMTP_PORT: '70000' }, /smtp.port \(env MAILROOM_SMTP_PORT\): must be an integer from 0 to 65535/],
    [{ MAILROOM_LOG_LEVEL: 'loud' }, /log.level .*one of fatal, error, warn, info/],
    [{ MAILROOM_SMTP_PROT: '25' }, /MAILROOM_SMTP_PROT: no such setting/],
    [{ MAILROOM_SMTP_MAX_RECIPIENTS: '0' }, /smtp.maxRecipients \(env MAILROOM_SMTP_MAX_RECIPIENTS\)/],
  ])('refuses %j naming the key', (env, expected) => {
    expect(problemsOf(() => loadConfig({ env })).join('\n')).toMatch(expected);
  });

  it('refuses unknown keys and bad YAML in the file, naming them', () => {
    const dir = tempDir();
    const unknown = join(dir, 'unknown.yaml');
    writeFileSync(unknown, 'smtp:\n  prot: 25\n');
    expect(problemsOf(() => loadConfig({ env: {}, file: unknown })).join('\n')).toMatch(/unknown.yaml:2: smtp.prot: unknown key/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'smtp: [\n');
    expect(problemsOf(() => loadConfig({ env: {}, file: broken })).join('\n')).toMatch(/broken.yaml:2:1: not valid YAML \(Flow sequence/);
    expect(problemsOf(() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') })).join('\n')).toMatch(/cannot read it/);
  });

  it('names the file and line of a bad value, suggests the nearest key, and names a variable only for what came from it', () => {
    const file = join(tempDir(), 'mailroom.yaml');
    writeFileSync(file, 'data:\n  dir: ./d\nsmtp:\n  prot: 25\n  hostnme: mx.example\n  maxRecipients: 0\nhttp:\n  port: abc\nbogus: 1\n');
    const fromFile = problemsOf(() => loadConfig({ env: {}, file }));
    expect(fromFile).toEqual(
      expect.arrayContaining([
        `${file}:4: smtp.prot: unknown key (did you mean \`smtp.port\`?)`,
        `${file}:5: smtp.hostnme: unknown key (did you mean \`smtp.hostname\`?)`,
        `${file}:9: bogus: unknown key (see: npx mailroom config keys)`,
      ]),
    );
    expect(fromFile.find((p) => p.includes('smtp.maxRecipients'))).toMatch(new RegExp(`^${file}:6: smtp.maxRecipients: must be an integer`));
    expect(fromFile.find((p) => p.includes('http.port'))).toMatch(new RegExp(`^${file}:8: http.port: must be an integer from 0 to 65535`));
    expect(fromFile.join('\n')).not.toContain('MAILROOM_');

    // The variable wins over the file: the problem names it, not the file's line.
    const fromEnv = problemsOf(() => loadConfig({ env: { MAILROOM_HTTP_PORT: '70000', MAILROOM_SMTP_PROT: '25' }, file }));
    expect(fromEnv).toContain('MAILROOM_SMTP_PROT: no such setting (did you mean MAILROOM_SMTP_PORT?)');
    expect(fromEnv.find((p) => p.includes('http.port'))).toMatch(/^http\.port \(env MAILROOM_HTTP_PORT\): must be an integer/);
    expect(fromEnv.find((p) => p.includes('smtp.maxRecipients'))).toMatch(new RegExp(`^${file}:6: `));
  });
});

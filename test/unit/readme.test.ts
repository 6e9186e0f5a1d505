// The README is the first thing a newcomer runs: its commands must work as
// written right after `npm install`, which puts no `mailroom` on the PATH.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Commands the README and the CLI reference show, bare `mailroom` ones (which `npm install` does not provide) apart. */
function bareCommands(text: string): string[] {
  const spans = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).split('\n'));
  const inline = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map((m) => (m[1] as string).replace(/\s+/g, ' '));
  return [...spans, ...inline].filter((command) => /(^|[;&|]\s*)mailroom [a-z]/.test(command.trim()));
}

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('runs every mailroom command through npx, as it works after npm install', () => {
    expect(readme).toMatch(/npx mailroom tenants add/);
    expect(bareCommands(readme)).toEqual([]);
  });

  it('says how to put mailroom on the PATH, as docs/cli.md does', () => {
    for (const doc of [readme, readFileSync('docs/cli.md', 'utf8')]) {
      expect(doc).toMatch(/does not put (a )?`mailroom`( command)? on your PATH/);
      expect(doc).toContain('`npm link`');
      expect(doc).toContain('`npm install -g .`');
    }
  });
});

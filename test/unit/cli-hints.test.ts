// The commands mailroom itself tells people to run (a "see:" line, advice, an
// error) must work as written right after `npm install`, which puts no
// `mailroom` on the PATH: they say `npx mailroom ...`, as the README does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, describeForCli } from '../../src/cli/main.ts';
import { NotFoundError } from '../../src/errors.ts';

const names = COMMANDS.map((c) => c.spec.split(' ')[0] as string);
const bare = new RegExp(`(?<![\\w/-])(?<!npx )mailroom (?:${names.join('|')})\\b`);

/** Lines of code (not comments) where a string tells someone to run a bare `mailroom <command>`. */
function bareHints(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line.trim();
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*') || line.includes('applicationName')) return;
        const match = bare.exec(line);
        // Only within a string: a quote before the command on its line.
        if (match && /['"`]/.test(line.slice(0, match.index))) found.push(`${file}:${i + 1}: ${code}`);
      });
  }
  return found;
}

describe("the CLI's own hints", () => {
  it('name npx mailroom in every "see:" line', () => {
    expect(describeForCli(new NotFoundError('no candidate "x"', 'candidate'))).toBe('no candidate "x" (see: npx mailroom candidates list)');
    expect(describeForCli(new NotFoundError('no tenant "x"', 'tenant'))).toBe('no tenant "x" (see: npx mailroom tenants list)');
  });

  it('never tell anyone to run a bare mailroom command', () => {
    expect([...['src/cli', 'src/checks', 'src/operations', 'src/config', 'src/http', 'src/relay', 'src/secrets'].flatMap(bareHints)]).toEqual([]);
  });
});

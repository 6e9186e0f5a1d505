// The command line loads a command's module only when that command runs: the
// top-level help is made of COMMANDS' lines, which must stay the commands' own.
import { describe, expect, it } from 'vitest';
import { buildProgram, commandNamed, COMMANDS } from '../../src/cli/main.ts';

/** An argument as a command's spec writes it. */
function usage(a: { name(): string; variadic: boolean; required: boolean }): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

describe('the command line', () => {
  it("shows at the top level each command's own usage and description", async () => {
    const full = await buildProgram();
    const own = full.commands.map((c) => ({
      spec: [c.name(), ...c.registeredArguments.map((a) => usage(a))].join(' '),
      summary: c.description(),
    }));
    expect(COMMANDS.map(({ spec, summary }) => ({ spec, summary }))).toEqual(own);
    const top = await buildProgram(['--help']);
    expect(top.commands.map((c) => [c.name(), c.description()])).toEqual(full.commands.map((c) => [c.name(), c.description()]));
  });

  it('registers only the command a command line runs (help of a command included)', async () => {
    expect(commandNamed(['-c', 'x.yml', 'messages', 'list'])).toBe('messages');
    expect(commandNamed(['help', 'stats'])).toBe('stats');
    expect(commandNamed(['--config', 'stats', '--help'])).toBeNull();
    expect(commandNamed(['nothing-like-it'])).toBeNull();
    const program = await buildProgram(['stats', '--json']);
    expect(program.commands.map((c) => c.name())).toEqual(['stats']);
    expect((await buildProgram(['send'])).commands.map((c) => c.name())).toEqual(['send', 'outbound']);
  });
});

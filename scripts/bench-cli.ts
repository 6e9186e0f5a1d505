// npm run bench:cli [-- --runs N]
// How long a CLI command takes to start and finish on a small store, next to
// `node -e 0` (Node's own start) in the same run. Uses hyperfine when it is
// installed (wall time, and the CPU time that a busy machine does not
// inflate), else a loop of runs (wall time only). Target: under 300 ms for
// commands that do not need the server's machinery. Prints figures; asserts nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-cli-'));
const env = { ...process.env, MAILROOM_DATA_DIR: dir };
const COMMANDS = ['--help', 'config keys', 'stats', 'messages list', 'tenants list'];
const TARGET_MS = 300;

interface Figure {
  command: string;
  wallMs: number;
  cpuMs: number | null;
}

function withHyperfine(commands: string[]): Figure[] | null {
  if (spawnSync('hyperfine', ['--version']).status !== 0) return null;
  const out = join(dir, 'hyperfine.json');
  const run = spawnSync('hyperfine', ['-N', '--warmup', '2', '--runs', String(runs), '--export-json', out, ...commands], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) return null;
  const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; median: number; user: number; system: number }[] }).results;
  return results.map((r) => ({ command: r.command, wallMs: r.median * 1000, cpuMs: (r.user + r.system) * 1000 }));
}

function withLoop(commands: string[]): Figure[] {
  return commands.map((command) => {
    const [file, ...args] = command.split(' ') as [string, ...string[]];
    const times: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      spawnSync(file, args, { env, stdio: 'ignore' });
      if (i > 0) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { command, wallMs: times[Math.floor(times.length / 2)] as number, cpuMs: null };
  });
}

// The store exists, as on a running installation: `db migrate` makes it and its schema (read-only commands refuse to).
spawnSync(process.execPath, ['bin/mailroom.js', 'db', 'migrate'], { env, stdio: 'ignore' });
const commands = [`${process.execPath} -e 0`, ...COMMANDS.map((c) => `${process.execPath} bin/mailroom.js ${c}`)];
const figures = withHyperfine(commands) ?? withLoop(commands);
rmSync(dir, { recursive: true, force: true });
const node = figures[0] as Figure;
const label = (command: string): string => command.replace(process.execPath, 'node');
process.stdout.write(
  [
    '# CLI start',
    '',
    `Median of ${runs} runs on an empty store (${figures[0]?.cpuMs === null ? 'a loop of runs' : 'hyperfine'}); CPU is user + system time, which a busy machine does not inflate.`,
    '',
    '| command | wall ms | CPU ms | wall over `node -e 0` | under 300 ms |',
    '|---|---:|---:|---:|---|',
    ...figures.map((f) => {
      const cost = f.cpuMs ?? f.wallMs;
      const met = f === node ? '' : cost < TARGET_MS ? 'yes' : 'NO';
      return `| \`${label(f.command)}\` | ${f.wallMs.toFixed(0)} | ${f.cpuMs === null ? '' : f.cpuMs.toFixed(0)} | ${(f.wallMs - node.wallMs).toFixed(0)} | ${met} |`;
    }),
    '',
    'The target is judged on CPU time when hyperfine measured it (wall time on a machine shared with other work includes waiting for a core), else on wall time.',
    '',
  ].join('\n'),
);

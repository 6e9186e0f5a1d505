// npm run bench:intake [-- --seconds N --rounds N --connections N --backend sqlite|postgres]
// Durable intake throughput and latency next to, measured in the same run: a bare
// smtp-server sink (stores nothing), a minimal durable intake (smtp-server and
// better-sqlite3 with group commit in one thread, synchronous=FULL: the limit of
// this design, scripts/lib/minimal-durable-server.ts) and, where Postfix is
// installed, a private Postfix instance (the trusted durable MTA) delivering to
// its discard transport; plus peak RSS
// with 50 concurrent 1 MB messages (fresh servers, every round). The servers
// take turns for several rounds and the medians are reported, because one
// measurement on a shared machine swings by a third; mailroom's pipeline
// backlog drains before anyone else is measured, so it never steals their
// CPU. Prints figures and ratios; it asserts
// nothing (targets are shown, not tested). With --backend postgres, mailroom
// keeps its state in a private PostgreSQL (Debian's package, fsync on, a
// database per server started) instead of SQLite; the baselines stay the same,
// and npm run bench:backends puts the two backends side by side.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { createContext, type Context } from '../src/context.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { makeMessage, runLoad, type LoadResult } from './lib/smtp-load.ts';
import { postfixUnavailable, startPostfix, type PostfixInstance } from './lib/postfix.ts';
import { cpuSeconds, peakRssMb, startChild, type ServerChild } from './lib/processes.ts';
import { median } from './lib/stats.ts';

/** The whole load comes from one address (127.0.0.1), far past any real sender's rate: the per-client rates are lifted. */
const ONE_CLIENT_AT_FULL_SPEED = {
  MAILROOM_SMTP_MAX_MESSAGES_PER_CLIENT_PER_MINUTE: '100000000',
  MAILROOM_SMTP_MAX_RECIPIENTS_PER_CLIENT_PER_MINUTE: '100000000',
};

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    backend: { type: 'string', default: 'sqlite' },
  },
});
if (values.backend !== 'sqlite' && values.backend !== 'postgres') throw new Error('--backend is sqlite or postgres');
const onPostgres = values.backend === 'postgres';
const KEY = randomBytes(32).toString('base64');
const pgDir = onPostgres ? mkdtempSync(join(tmpdir(), 'mailroom-bench-pg-')) : null;
const cluster = pgDir ? await startPostgres(pgDir, { fsync: true }) : null;
/** Each server's storage: its data dir, and on PostgreSQL a database of its own. */
const databases = new Map<string, string>();
async function databaseFor(dataDir: string): Promise<string> {
  if (!cluster) return '';
  let url = databases.get(dataDir);
  if (!url) databases.set(dataDir, (url = await cluster.createDatabase(`bench_${databases.size + 1}`)));
  return url;
}
async function contextFor(dataDir: string): Promise<Context> {
  const config = configSchema.parse({ data: { dir: dataDir }, database: { url: await databaseFor(dataDir) }, secret: { key: onPostgres ? KEY : '' } });
  return createContext(config, { log: createLogger('silent') });
}
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const RECIPIENT = 'careers@replies.bench.example';
// The V8 flags and malloc setting `npm start` and the Docker image run the server with (README, Tuning).
const SERVER_NODE_FLAGS = ['--max-semi-space-size=2'];
const SERVER_ENV = { MALLOC_ARENA_MAX: '2' };
if (!existsSync('dist/cli/main-entry.js')) {
  process.stderr.write('dist/ is missing: run `npm run bench:intake` (it builds first) or `npm run build`\n');
  process.exit(1);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function startMailroom(dataDir: string): Promise<ServerChild> {
  const seeding = await contextFor(dataDir);
  await seeding.tenants.add({ slug: 'bench', domains: ['bench.example'], replyDomains: ['replies.bench.example'], forwardAddresses: [] });
  await seeding.close();
  // Benchmarks never touch real DNS either: an empty zone answers every lookup.
  const zone = join(dataDir, 'zone.json');
  writeFileSync(zone, '{}');
  const env = {
    ...process.env,
    ...SERVER_ENV,
    MAILROOM_DNS_ZONE_FILE: zone,
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_DATABASE_URL: await databaseFor(dataDir),
    MAILROOM_SECRET_KEY: onPostgres ? KEY : '',
    MAILROOM_SMTP_PORT: '0',
    MAILROOM_HTTP_PORT: '0',
    MAILROOM_LOG_LEVEL: 'info',
    MAILROOM_SMTP_MAX_CONNECTIONS_PER_IP: '1000',
    ...ONE_CLIENT_AT_FULL_SPEED,
  };
  // The built server (dist/), as the image runs it; `npm run bench:intake` builds it first.
  return startChild([...SERVER_NODE_FLAGS, 'dist/cli/main-entry.js', 'serve'], env, join(dataDir, 'mailroom.log'), (e) =>
    e.msg === 'mailroom listening for SMTP' ? (e.port as number) : undefined,
  );
}

function startSink(dataDir: string): Promise<ServerChild> {
  return startChild(['scripts/lib/sink-server.ts'], process.env, join(dataDir, 'sink.log'), (e) => e.port as number | undefined);
}

function startMinimalDurable(dataDir: string): Promise<ServerChild> {
  return startChild(
    [...SERVER_NODE_FLAGS, 'scripts/lib/minimal-durable-server.ts'],
    { ...process.env, ...SERVER_ENV, DATA_DIR: dataDir },
    join(dataDir, 'minimal.log'),
    (e) => e.port as number | undefined,
  );
}

/** One timed measurement, with the CPU the server process spent on it (null for Postfix: many processes). */
interface Measured extends LoadResult {
  cpuUsPerMessage: number | null;
}

interface Row {
  name: string;
  sink: Measured[];
  minimal: Measured[];
  durable: Measured[];
  postfix: Measured[] | null;
}

/** The median round by throughput, whose latencies go with it. */
function typical(runs: Measured[]): Measured {
  const m = median(runs.map((r) => r.perSecond));
  return runs.find((r) => r.perSecond === m) as Measured;
}

/** Seconds until the pipeline has processed everything accepted so far (it yields to intake during a burst). */
async function drainSeconds(dataDir: string): Promise<number> {
  const ctx = await contextFor(dataDir);
  const pending = async (): Promise<number> => {
    const jobs = await ctx.jobs.countByState();
    return jobs.queued + jobs.running;
  };
  const start = performance.now();
  try {
    while ((await pending()) > 0 && performance.now() - start < 300_000) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await ctx.close();
  }
  return (performance.now() - start) / 1000;
}

async function phase(
  name: string,
  sink: ServerChild,
  minimal: ServerChild,
  durable: ServerChild,
  persistent: boolean,
  size: number,
  postfix: PostfixInstance | null,
  dataDir: string,
): Promise<Row & { drainSeconds: number }> {
  const message = makeMessage(size);
  const run = async (server: { port: number; child?: ServerChild['child'] }, s: number): Promise<Measured> => {
    const pid = server.child?.pid;
    const cpuBefore = pid ? cpuSeconds(pid) : 0;
    const result = await runLoad({ port: server.port, connections, persistent, message, recipient: RECIPIENT, seconds: s, maxMessages: 1_000_000 });
    const cpuUsPerMessage = pid && result.messages > 0 ? ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.messages : null;
    return { ...result, cpuUsPerMessage };
  };
  log(`${name}: warming up`);
  await run(sink, 1);
  await run(minimal, 1);
  await run(durable, 1);
  if (postfix) await run(postfix, 1);
  let drain = await drainSeconds(dataDir);
  const row: Row = { name, sink: [], minimal: [], durable: [], postfix: postfix ? [] : null };
  for (let round = 1; round <= rounds; round++) {
    log(`${name}, round ${round}/${rounds}: sink, minimal durable, mailroom${postfix ? ', postfix' : ''} ${seconds}s each`);
    row.sink.push(await run(sink, seconds));
    row.minimal.push(await run(minimal, seconds));
    row.durable.push(await run(durable, seconds));
    // mailroom's pipeline catches up now, not while the others are measured.
    drain += await drainSeconds(dataDir);
    if (postfix) row.postfix?.push(await run(postfix, seconds));
  }
  return { ...row, drainSeconds: drain };
}

interface MemoryResult {
  idleMb: number;
  /** Peak while the 50 connections were sending. */
  peakMb: number;
  /** Peak until everything accepted was also processed (mailroom only; the sink keeps nothing). */
  peakProcessedMb: number | null;
  /** Whether mailroom's pipeline thread was started before the last message was accepted (null for the sink). */
  pipelineDuringBurst: boolean | null;
  result: LoadResult;
}

/** When mailroom's log says the pipeline thread was started, in ms since the epoch (null: it was not). */
function pipelineStartedAt(dataDir: string): number | null {
  const line = readFileSync(join(dataDir, 'mailroom.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes('pipeline thread started'));
  return line ? Date.parse((JSON.parse(line) as { time: string }).time) : null;
}

/** Peak RSS of a freshly started server under 50 concurrent 1 MB messages (fresh, so earlier phases do not count). */
async function memoryPhase(start: () => Promise<ServerChild>, dataDir: string | null): Promise<MemoryResult> {
  const server = await start();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idleMb = peakRssMb(server.child.pid!);
    const result = await runLoad({
      port: server.port,
      connections: 50,
      persistent: true,
      message: makeMessage(1024 * 1024),
      recipient: RECIPIENT,
      seconds: 30,
      maxMessages: 200,
    });
    const acceptedAll = Date.now();
    const peakMb = peakRssMb(server.child.pid!);
    if (dataDir) await drainSeconds(dataDir);
    const started = dataDir ? pipelineStartedAt(dataDir) : null;
    return {
      idleMb,
      peakMb,
      peakProcessedMb: dataDir ? peakRssMb(server.child.pid!) : null,
      pipelineDuringBurst: dataDir ? started !== null && started < acceptedAll : null,
      result,
    };
  } finally {
    await server.stop();
  }
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-'));
  const sink = await startSink(dataDir);
  const minimalDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-minimal-'));
  const minimal = await startMinimalDurable(minimalDir);
  const durable = await startMailroom(dataDir);
  const noPostfix = postfixUnavailable();
  const postfixDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-postfix-'));
  const postfix = noPostfix ? null : await startPostfix(postfixDir, 'replies.bench.example');
  try {
    const rows = [
      await phase('persistent (50 conns, 4 KB)', sink, minimal, durable, true, 4096, postfix, dataDir),
      await phase('one message per connection (50 conns, 4 KB)', sink, minimal, durable, false, 4096, postfix, dataDir),
    ];
    await Promise.all([sink.stop(), minimal.stop(), durable.stop(), postfix?.stop()]);
    const memSinkRuns: MemoryResult[] = [];
    const memDurableRuns: MemoryResult[] = [];
    for (let round = 1; round <= rounds; round++) {
      log(`memory, round ${round}/${rounds}: 50 concurrent 1 MB messages, fresh servers`);
      memSinkRuns.push(await memoryPhase(() => startSink(dataDir), null));
      const memDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-mem-'));
      memDurableRuns.push(await memoryPhase(() => startMailroom(memDir), memDir));
      rmSync(memDir, { recursive: true, force: true });
    }
    const typicalMemory = (runs: MemoryResult[]): MemoryResult => {
      const m = median(runs.map((r) => r.peakMb));
      return runs.find((r) => r.peakMb === m) as MemoryResult;
    };
    const [memSink, memDurable] = [typicalMemory(memSinkRuns), typicalMemory(memDurableRuns)];
    const duringBurst = memDurableRuns.filter((r) => r.pipelineDuringBurst).length;

    const acked = rows.reduce((n, r) => n + r.durable.reduce((m, x) => m + x.messages, 0), 0);
    const counting = await contextFor(dataDir);
    const stored = (await counting.messages.totals()).count;
    await counting.close();

    const out: string[] = [];
    out.push(
      `# Intake benchmark (${new Date().toISOString()}, node ${process.version}, ${rounds} rounds of ${seconds}s per server, medians; mailroom on ${onPostgres ? 'PostgreSQL' : 'SQLite'})`,
    );
    out.push('');
    out.push('| workload | server | msgs/s (median) | rounds | p50 DATA→250 ms | p99 DATA→250 ms | CPU µs per message | errors |');
    out.push('|---|---|---:|---|---:|---:|---:|---:|');
    for (const r of rows) {
      const servers: [string, Measured[]][] = [
        ['bare smtp-server sink', r.sink],
        ['minimal durable (smtp-server + SQLite group commit)', r.minimal],
        [onPostgres ? 'mailroom (durable, PostgreSQL)' : 'mailroom (durable)', r.durable],
      ];
      if (r.postfix) servers.push(['Postfix (durable, discard transport)', r.postfix]);
      for (const [label, runs] of servers) {
        const x = typical(runs);
        const cpu = runs.every((run) => run.cpuUsPerMessage !== null) ? fmt(median(runs.map((run) => run.cpuUsPerMessage as number)), 0) : 'n/a';
        const errors = runs.reduce((n, run) => n + run.errors, 0);
        out.push(
          `| ${r.name} | ${label} | ${fmt(x.perSecond, 0)} | ${runs.map((run) => fmt(run.perSecond, 0)).join(', ')} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} | ${cpu} | ${errors} |`,
        );
      }
    }
    out.push('');
    const throughput = (runs: Measured[]): number => median(runs.map((run) => run.perSecond));
    const ratio = (throughput(rows[0]!.durable) / throughput(rows[0]!.sink)) * 100;
    const ratioPerConn = (throughput(rows[1]!.durable) / throughput(rows[1]!.sink)) * 100;
    out.push(`- durable / sink throughput, persistent connections: **${fmt(ratio)}%** (target >= 70%: ${ratio >= 70 ? 'met' : 'NOT met'})`);
    out.push(`- durable / sink throughput, one message per connection: ${fmt(ratioPerConn)}%`);
    const vsMinimal = throughput(rows[0]!.durable) / throughput(rows[0]!.minimal);
    const vsMinimalPerRound = rows[0]!.durable.map((d, i) => fmt(d.perSecond / rows[0]!.minimal[i]!.perSecond, 2)).join(', ');
    out.push(
      `- mailroom / minimal durable intake, persistent connections: **${fmt(vsMinimal, 2)}x** (rounds ${vsMinimalPerRound}; target >= 0.85x: ${vsMinimal >= 0.85 ? 'met' : 'NOT met'}); one message per connection ${fmt(throughput(rows[1]!.durable) / throughput(rows[1]!.minimal), 2)}x`,
    );
    out.push(
      `- CPU per message (whole server process, all threads; the load client runs on the same ${availableParallelism()} cores): sink ${fmt(median(rows[0]!.sink.map((x) => x.cpuUsPerMessage ?? 0)), 0)} µs, mailroom ${fmt(median(rows[0]!.durable.map((x) => x.cpuUsPerMessage ?? 0)), 0)} µs on persistent connections`,
    );
    if (rows[0]!.postfix && rows[1]!.postfix) {
      out.push(
        `- mailroom / Postfix throughput: persistent connections **${fmt((throughput(rows[0]!.durable) / throughput(rows[0]!.postfix)) * 100)}%**, one message per connection ${fmt((throughput(rows[1]!.durable) / throughput(rows[1]!.postfix)) * 100)}%`,
      );
    } else out.push(`- Postfix comparison skipped: ${noPostfix}`);
    out.push(
      `- the pipeline yields to intake during a burst (worker.burstPauseMs); its backlogs drained in ${fmt(rows[0]!.drainSeconds)} s (persistent) and ${fmt(rows[1]!.drainSeconds)} s (one per connection) in all`,
    );
    const peaks = (runs: MemoryResult[], pick: (r: MemoryResult) => number | null): string => runs.map((r) => fmt(pick(r) ?? 0, 0)).join(', ');
    out.push(
      `- peak RSS with 50 concurrent 1 MB messages (fresh processes, median of ${rounds}): mailroom **${fmt(memDurable.peakMb)} MB** while accepting them (rounds ${peaks(memDurableRuns, (r) => r.peakMb)}; target < 200 MB: ${memDurable.peakMb < 200 ? 'met' : 'NOT met'}), ${fmt(memDurable.peakProcessedMb ?? 0)} MB until all were processed too (rounds ${peaks(memDurableRuns, (r) => r.peakProcessedMb)}), idle ${fmt(memDurable.idleMb)} MB; sink ${fmt(memSink.peakMb)} MB (rounds ${peaks(memSinkRuns, (r) => r.peakMb)}; idle ${fmt(memSink.idleMb)} MB); mailroom took ${memDurable.result.messages} messages at ${fmt(memDurable.result.perSecond)} msgs/s, ${memDurable.result.errors} errors`,
    );
    out.push(
      `- mailroom's pipeline thread (started when work waits and intake is quiet, worker.startDelayMaxMs at the latest) was started while the 1 MB messages were still arriving in ${duringBurst} of ${rounds} rounds, otherwise after the burst; its memory while it processes them is in the "until processed" figure`,
    );
    out.push(`- acknowledged by mailroom in the timed phases: ${acked}; rows in its database (warm-ups included): ${stored}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.all([sink.stop(), minimal.stop(), durable.stop(), postfix?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(minimalDir, { recursive: true, force: true });
    rmSync(postfixDir, { recursive: true, force: true });
    await cluster?.stop();
    if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  }
}

await main();

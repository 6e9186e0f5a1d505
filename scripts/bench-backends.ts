// npm run bench:backends [-- --seconds N --rounds N --connections N]
// The same work on each storage backend, in one run, taking turns: SQLite (one
// node), PostgreSQL with one node, PostgreSQL with three nodes sharing the load.
// Each round: C persistent SMTP connections (spread over the nodes) send 2 KB
// messages for N seconds (intake: msgs/s and DATA→250 latency), then the
// pipeline processes the backlog (its throughput, from the first acceptance to
// the last message processed). For PostgreSQL the report says where the cost
// goes, per accepted message: transactions committed, WAL flushes (fsyncs),
// WAL bytes, rows written, and lock waits seen. PostgreSQL is a private
// cluster on this machine (Debian's package), fsync on, as in production.
// Prints figures and ratios; asserts nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createContext, type Context } from '../src/context.ts';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { postgresUnavailable, startPostgres, type PostgresCluster } from '../test/support/postgres.ts';
import { startMailroomServe, type MailroomServer } from './lib/processes.ts';
import { makeMessage, runLoad, type LoadResult } from './lib/smtp-load.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '30' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const RECIPIENT = 'careers@replies.bench.example';
const KEY = randomBytes(32).toString('base64');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Setup {
  name: string;
  nodes: number;
  postgres: boolean;
}

const SETUPS: Setup[] = [
  { name: 'SQLite, 1 node', nodes: 1, postgres: false },
  { name: 'PostgreSQL, 1 node', nodes: 1, postgres: true },
  { name: 'PostgreSQL, 3 nodes', nodes: 3, postgres: true },
];

interface Round {
  intake: LoadResult;
  processedPerSecond: number;
  /** Per accepted message, PostgreSQL only. */
  costs: Costs | null;
}

interface Costs {
  commits: number;
  walFlushes: number;
  walBytes: number;
  rowsWritten: number;
  lockWaits: number;
}

async function counters(url: string): Promise<Omit<Costs, 'lockWaits'>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const db = await client.query<{ commits: string; rows: string }>(
      `SELECT xact_commit AS commits, tup_inserted + tup_updated + tup_deleted AS rows FROM pg_stat_database WHERE datname = current_database()`,
    );
    const wal = await client.query<{ syncs: string; bytes: string }>(`SELECT wal_sync AS syncs, wal_bytes AS bytes FROM pg_stat_wal`);
    return {
      commits: Number(db.rows[0]!.commits),
      rowsWritten: Number(db.rows[0]!.rows),
      walFlushes: Number(wal.rows[0]!.syncs),
      walBytes: Number(wal.rows[0]!.bytes),
    };
  } finally {
    await client.end();
  }
}

/** Samples sessions waiting on a lock while the load runs. */
function watchLocks(url: string): { stop(): Promise<number> } {
  const client = new pg.Client({ connectionString: url });
  let waits = 0;
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const r = await client.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      waits += r.rows[0]!.n;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return waits;
    },
  };
}

async function prepare(setup: Setup, cluster: PostgresCluster | null, round: number): Promise<{ url: string; dirs: string[] }> {
  const url = cluster ? await cluster.createDatabase(`bench_${setup.nodes}_${round}_${Date.now()}`) : '';
  const dirs = Array.from({ length: setup.nodes }, () => mkdtempSync(join(tmpdir(), 'mailroom-bench-backends-')));
  const config = configSchema.parse({ data: { dir: dirs[0] }, database: { url }, secret: { key: KEY }, log: { level: 'silent' } });
  const ctx = await createContext(config, { log: createLogger('silent') });
  await ctx.tenants.add({ slug: 'bench', domains: ['bench.example'], replyDomains: ['replies.bench.example'], forwardAddresses: [] });
  await ctx.close();
  return { url, dirs };
}

/** An operator's view of the database, opened once per measurement (its own queries barely touch the counters). */
async function observer(url: string, dir: string): Promise<Context> {
  const config = configSchema.parse({ data: { dir }, database: { url }, secret: { key: KEY }, log: { level: 'silent' } });
  return createContext(config, { log: createLogger('silent') });
}

async function measure(setup: Setup, cluster: PostgresCluster | null, round: number): Promise<Round> {
  const { url, dirs } = await prepare(setup, cluster, round);
  const env = { MAILROOM_DATABASE_URL: url, MAILROOM_SECRET_KEY: KEY, MAILROOM_WORKER_IDLE_STOP_MS: '0' };
  const servers: MailroomServer[] = [];
  for (const dir of dirs) servers.push(await startMailroomServe(dir, {}, env));
  try {
    const before = url ? await counters(url) : null;
    const locks = url ? watchLocks(url) : null;
    const started = performance.now();
    const perNode = Math.max(1, Math.round(connections / servers.length));
    const results = await Promise.all(
      servers.map((s) =>
        runLoad({
          port: s.server.port,
          connections: perNode,
          persistent: true,
          message: makeMessage(2048),
          recipient: RECIPIENT,
          seconds,
          maxMessages: Infinity,
        }),
      ),
    );
    const accepted = results.reduce((n, r) => n + r.messages, 0);
    const intake: LoadResult = {
      messages: accepted,
      errors: results.reduce((n, r) => n + r.errors, 0),
      seconds: Math.max(...results.map((r) => r.seconds)),
      perSecond: results.reduce((n, r) => n + r.perSecond, 0),
      p50Ms: median(results.map((r) => r.p50Ms)),
      p99Ms: Math.max(...results.map((r) => r.p99Ms)),
    };
    const deadline = Date.now() + 300_000;
    const view = await observer(url, dirs[0]!);
    const processed = async (): Promise<number> => {
      const jobs = await view.jobs.countByState();
      return jobs.done + jobs.failed;
    };
    while ((await processed()) < accepted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await view.close();
    const elapsed = (performance.now() - started) / 1000;
    const lockWaits = locks ? await locks.stop() : 0;
    let costs: Costs | null = null;
    if (url && before) {
      const after = await counters(url);
      const per = (key: keyof typeof after): number => (after[key] - before[key]) / Math.max(1, accepted);
      costs = { commits: per('commits'), walFlushes: per('walFlushes'), walBytes: per('walBytes'), rowsWritten: per('rowsWritten'), lockWaits };
    }
    return { intake, processedPerSecond: accepted / elapsed, costs };
  } finally {
    for (const s of servers) await s.server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  const unavailable = postgresUnavailable();
  const clusterDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-pg-'));
  const cluster = unavailable ? null : await startPostgres(clusterDir, { fsync: true });
  if (!cluster) log(`PostgreSQL skipped: ${unavailable}`);
  const setups = SETUPS.filter((s) => !s.postgres || cluster);
  const results = new Map<string, Round[]>(setups.map((s) => [s.name, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const setup of setups) {
        log(`round ${round}/${rounds}: ${setup.name}, ${connections} connections for ${seconds}s, then the backlog processed`);
        results.get(setup.name)!.push(await measure(setup, setup.postgres ? cluster : null, round));
      }
    }
  } finally {
    await cluster?.stop();
    rmSync(clusterDir, { recursive: true, force: true });
  }
  const out: string[] = [];
  out.push(
    `# Storage backends (${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores, ${rounds} rounds of ${seconds}s, medians)`,
  );
  out.push('');
  out.push(
    'Every node and PostgreSQL share this one machine, so three nodes compete for the same cores: the figures show the cost of the shared database, not the capacity of three machines.',
  );
  out.push('');
  out.push('| setup | accepted msgs/s | rounds | p50 DATA→250 ms | p99 ms | processed msgs/s (end to end) | errors |');
  out.push('|---|---:|---|---:|---:|---:|---:|');
  for (const setup of setups) {
    const runs = results.get(setup.name)!;
    const perSecond = median(runs.map((r) => r.intake.perSecond));
    out.push(
      `| ${setup.name} | ${fmt(perSecond, 0)} | ${runs.map((r) => fmt(r.intake.perSecond, 0)).join(', ')} | ${fmt(median(runs.map((r) => r.intake.p50Ms)), 2)} | ${fmt(median(runs.map((r) => r.intake.p99Ms)), 2)} | ${fmt(median(runs.map((r) => r.processedPerSecond)), 0)} | ${runs.reduce((n, r) => n + r.intake.errors, 0)} |`,
    );
  }
  const base = median(results.get(SETUPS[0]!.name)!.map((r) => r.intake.perSecond));
  out.push('');
  for (const setup of setups.slice(1)) {
    out.push(`- ${setup.name} / SQLite intake: **${fmt(median(results.get(setup.name)!.map((r) => r.intake.perSecond)) / base, 2)}x**`);
  }
  out.push('');
  out.push('Where the cost goes on PostgreSQL, per accepted message (intake and processing together):');
  out.push('');
  out.push('| setup | commits | WAL flushes (fsync) | WAL KB | rows written | lock waits seen (sampled every 100 ms) |');
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const setup of setups.filter((s) => s.postgres)) {
    const costs = results.get(setup.name)!.map((r) => r.costs!);
    const m = (pick: (c: Costs) => number): number => median(costs.map(pick));
    out.push(
      `| ${setup.name} | ${fmt(
        m((c) => c.commits),
        2,
      )} | ${fmt(
        m((c) => c.walFlushes),
        2,
      )} | ${fmt(m((c) => c.walBytes) / 1024, 1)} | ${fmt(
        m((c) => c.rowsWritten),
        1,
      )} | ${fmt(
        m((c) => c.lockWaits),
        0,
      )} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();

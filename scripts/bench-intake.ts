// npm run bench:intake [-- --seconds N --connections N]
// Durable intake throughput and latency next to a bare smtp-server sink measured
// in the same run and, where Postfix is installed, a private Postfix instance
// (the trusted durable MTA) delivering to its discard transport; plus peak RSS
// with 50 concurrent 1 MB messages. Prints figures and ratios; it asserts
// nothing (targets are shown, not tested).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageStore, openDatabase, TenantStore } from '../src/store/index.ts';
import { makeMessage, runLoad, type LoadResult } from './lib/smtp-load.ts';
import { postfixUnavailable, startPostfix, type PostfixInstance } from './lib/postfix.ts';
import { peakRssMb, startChild, type ServerChild } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const RECIPIENT = 'careers@replies.bench.example';
// The V8 flags `npm start` and the Docker image run the server with (README, Tuning).
const SERVER_NODE_FLAGS = ['--max-semi-space-size=2'];
if (!existsSync('dist/cli/main-entry.js')) {
  process.stderr.write('dist/ is missing: run `npm run bench:intake` (it builds first) or `npm run build`\n');
  process.exit(1);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function startMailroom(dataDir: string): Promise<ServerChild> {
  const db = openDatabase(dataDir);
  new TenantStore(db, () => new Date()).add({ slug: 'bench', domains: ['bench.example'], replyDomains: ['replies.bench.example'], forwardAddresses: [] });
  db.close();
  // Benchmarks never touch real DNS either: an empty zone answers every lookup.
  const zone = join(dataDir, 'zone.json');
  writeFileSync(zone, '{}');
  const env = { ...process.env, MAILROOM_DNS_ZONE_FILE: zone, MAILROOM_DATA_DIR: dataDir, MAILROOM_SMTP_PORT: '0', MAILROOM_HTTP_PORT: '0', MAILROOM_LOG_LEVEL: 'info', MAILROOM_SMTP_MAX_CONNECTIONS_PER_IP: '1000' };
  // The built server (dist/), as the image runs it; `npm run bench:intake` builds it first.
  return startChild([...SERVER_NODE_FLAGS, 'dist/cli/main-entry.js', 'serve'], env, join(dataDir, 'mailroom.log'), (e) => (e.msg === 'mailroom listening for SMTP' ? (e.port as number) : undefined));
}

function startSink(dataDir: string): Promise<ServerChild> {
  return startChild(['scripts/lib/sink-server.ts'], process.env, join(dataDir, 'sink.log'), (e) => e.port as number | undefined);
}

interface Row {
  name: string;
  sink: LoadResult;
  durable: LoadResult;
  postfix: LoadResult | null;
}

/** Seconds until the pipeline has processed everything accepted so far (it yields to intake during a burst). */
async function drainSeconds(dataDir: string): Promise<number> {
  const db = openDatabase(dataDir, { readonly: true });
  const pending = db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')`);
  const start = performance.now();
  try {
    while ((pending.get() as { n: number }).n > 0 && performance.now() - start < 300_000) await new Promise((r) => setTimeout(r, 100));
  } finally {
    db.close();
  }
  return (performance.now() - start) / 1000;
}

async function phase(name: string, sink: ServerChild, durable: ServerChild, persistent: boolean, size: number, postfix: PostfixInstance | null): Promise<Row> {
  const message = makeMessage(size);
  const run = (port: number, s: number): Promise<LoadResult> =>
    runLoad({ port, connections, persistent, message, recipient: RECIPIENT, seconds: s, maxMessages: 1_000_000 });
  log(`${name}: warming up`);
  await run(sink.port, 1);
  await run(durable.port, 1);
  log(`${name}: sink ${seconds}s`);
  const sinkResult = await run(sink.port, seconds);
  log(`${name}: mailroom ${seconds}s`);
  const durableResult = await run(durable.port, seconds);
  let postfixResult: LoadResult | null = null;
  if (postfix) {
    log(`${name}: postfix ${seconds}s`);
    await run(postfix.port, 1);
    postfixResult = await run(postfix.port, seconds);
  }
  return { name, sink: sinkResult, durable: durableResult, postfix: postfixResult };
}

/** Peak RSS of a freshly started server under 50 concurrent 1 MB messages (fresh, so earlier phases do not count). */
async function memoryPhase(start: () => Promise<ServerChild>): Promise<{ idleMb: number; peakMb: number; result: LoadResult }> {
  const server = await start();
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idleMb = peakRssMb(server.child.pid!);
    const result = await runLoad({ port: server.port, connections: 50, persistent: true, message: makeMessage(1024 * 1024), recipient: RECIPIENT, seconds: 30, maxMessages: 200 });
    return { idleMb, peakMb: peakRssMb(server.child.pid!), result };
  } finally {
    await server.stop();
  }
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-'));
  const sink = await startSink(dataDir);
  const durable = await startMailroom(dataDir);
  const noPostfix = postfixUnavailable();
  const postfixDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-postfix-'));
  const postfix = noPostfix ? null : await startPostfix(postfixDir, 'replies.bench.example');
  try {
    const persistentRow = await phase('persistent (50 conns, 4 KB)', sink, durable, true, 4096, postfix);
    log('waiting for the pipeline to drain its backlog');
    const drain = await drainSeconds(dataDir);
    const rows = [persistentRow, await phase('one message per connection (50 conns, 4 KB)', sink, durable, false, 4096, postfix)];
    await Promise.all([sink.stop(), durable.stop(), postfix?.stop()]);
    log('memory: 50 concurrent 1 MB messages, fresh servers');
    const memSink = await memoryPhase(() => startSink(dataDir));
    const memDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-mem-'));
    const memDurable = await memoryPhase(() => startMailroom(memDir));
    rmSync(memDir, { recursive: true, force: true });

    const acked = rows.reduce((n, r) => n + r.durable.messages, 0);
    const db = openDatabase(dataDir);
    const stored = new MessageStore(db).totals().count;
    db.close();

    const out: string[] = [];
    out.push(`# Intake benchmark (${new Date().toISOString()}, node ${process.version}, ${seconds}s per measurement)`);
    out.push('');
    out.push('| workload | server | msgs/s | p50 DATA→250 ms | p99 DATA→250 ms | errors |');
    out.push('|---|---|---:|---:|---:|---:|');
    for (const r of rows) {
      const servers: [string, LoadResult][] = [['bare smtp-server sink', r.sink], ['mailroom (durable)', r.durable]];
      if (r.postfix) servers.push(['Postfix (durable, discard transport)', r.postfix]);
      for (const [label, x] of servers) {
        out.push(`| ${r.name} | ${label} | ${fmt(x.perSecond, 0)} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} | ${x.errors} |`);
      }
    }
    out.push('');
    const ratio = (rows[0]!.durable.perSecond / rows[0]!.sink.perSecond) * 100;
    const ratioPerConn = (rows[1]!.durable.perSecond / rows[1]!.sink.perSecond) * 100;
    out.push(`- durable / sink throughput, persistent connections: **${fmt(ratio)}%** (target >= 70%: ${ratio >= 70 ? 'met' : 'NOT met'})`);
    out.push(`- durable / sink throughput, one message per connection: ${fmt(ratioPerConn)}%`);
    if (rows[0]!.postfix && rows[1]!.postfix) {
      out.push(
        `- mailroom / Postfix throughput: persistent connections **${fmt((rows[0]!.durable.perSecond / rows[0]!.postfix.perSecond) * 100)}%**, one message per connection ${fmt((rows[1]!.durable.perSecond / rows[1]!.postfix.perSecond) * 100)}%`,
      );
    } else out.push(`- Postfix comparison skipped: ${noPostfix}`);
    out.push(`- the pipeline yields to intake during a burst (worker.burstPauseMs); its backlog after the persistent phase drained in ${fmt(drain)} s`);
    out.push(
      `- peak RSS with 50 concurrent 1 MB messages (fresh processes): mailroom **${fmt(memDurable.peakMb)} MB** (idle ${fmt(memDurable.idleMb)} MB; target < 200 MB: ${memDurable.peakMb < 200 ? 'met' : 'NOT met'}), sink ${fmt(memSink.peakMb)} MB (idle ${fmt(memSink.idleMb)} MB); mailroom took ${memDurable.result.messages} messages at ${fmt(memDurable.result.perSecond)} msgs/s, ${memDurable.result.errors} errors`,
    );
    out.push(`- acknowledged by mailroom in the timed phases: ${acked}; rows in its database (warm-ups included): ${stored}`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.all([sink.stop(), durable.stop(), postfix?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(postfixDir, { recursive: true, force: true });
  }
}

await main();

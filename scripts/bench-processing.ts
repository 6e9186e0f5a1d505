// npm run bench:processing [-- --messages N --rounds N --quick --backends sqlite,postgres]
// Processing that keeps up, measured side by side in one run: DKIM-signed
// replies (text and HTML, quoted history; DMARC pass from a static zone) from
// 200 known candidates, sent over 20 connections to `mailroom serve`, timed
// from the first 250 to the last message processed (every one should end
// assigned); next to a minimal pipeline in one process (mailauth's
// authenticate, mailparser's simpleParser and email-reply-parser, 16 in
// flight) on the same messages. On SQLite, and on one PostgreSQL node (with
// the statements it ran per processed message, from pg_stat_statements: each
// is one round trip). Rounds take turns; the medians are reported. Targets:
// SQLite >= 0.8x of the minimal pipeline; PostgreSQL >= 0.7x of SQLite and at
// most 3 round trips per processed message. Prints figures; asserts nothing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import EmailReplyParser from 'email-reply-parser';
import { authenticate } from 'mailauth';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { zoneResolver } from '../src/dns/index.ts';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { createContext } from '../src/context.ts';
import { makeSigner, sign } from '../test/helpers/dkim.ts';
import { postgresUnavailable, startPostgres, type PostgresCluster } from '../test/support/postgres.ts';
import { startMailroomServe } from './lib/processes.ts';
import { sendEach, type Outgoing } from './lib/smtp-load.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    // pipeline.threads of the SQLite runs, a comma list to compare (e.g. 1,2); PostgreSQL runs with the first. 0: the default.
    threads: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    // PostgreSQL: print the statements run most per message (where the round trips go).
    statements: { type: 'boolean', default: false },
    // Which backends to run beside the minimal pipeline: sqlite, postgres or both.
    backends: { type: 'string', default: 'sqlite,postgres' },
  },
});
const count = values.quick ? 600 : Number(values.messages);
const rounds = values.quick ? 1 : Number(values.rounds);
const CANDIDATES = 200;
const CONNECTIONS = 20;
const IN_FLIGHT = 16;
const DOMAIN = 'candidate.example';
const RECIPIENT = 'careers@replies.acme.com';
const KEY = randomBytes(32).toString('base64');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const PARAGRAPH = 'Thank you for the invitation. I would be glad to come in for the interview and talk about the role and the team.';

/** Reply n: from candidate n % 200, text and HTML, over a quoted history of a few messages. */
function reply(n: number): string {
  const who = n % CANDIDATES;
  const history = Array.from(
    { length: 3 + (n % 4) },
    (_, i) => `On Mon, 16 Nov 2026 at 09:${String(i).padStart(2, '0')}, Acme Careers <careers@acme.com> wrote:\r\n${`> ${PARAGRAPH}\r\n`.repeat(6)}`,
  ).join('>\r\n');
  const text = `Hi,\r\n\r\nTuesday at 10 works for me (reply ${n}).\r\n\r\nBest,\r\nCandidate ${who}\r\n\r\n${history}`;
  const html = `<html><body>${text
    .split('\r\n')
    .map((l) => `<div>${l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') || '<br>'}</div>`)
    .join('')}</body></html>`;
  const qp = html.replace(/=/g, '=3D').replace(/(.{72})/g, '$1=\r\n');
  return [
    `From: Candidate ${who} <cand${who}@${DOMAIN}>`,
    `To: Acme Careers <${RECIPIENT}>`,
    'Subject: Re: Interview',
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    `Message-ID: <reply-${n}-${randomBytes(6).toString('hex')}@${DOMAIN}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=UTF-8',
    '',
    text,
    '--alt',
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp,
    '--alt--',
    '',
  ].join('\r\n');
}

async function messagesAndZone(): Promise<{ messages: Outgoing[]; zone: Record<string, { TXT: string[] }> }> {
  const key = makeSigner(DOMAIN, 'bench');
  const messages: Outgoing[] = [];
  for (let n = 0; n < count; n++) {
    messages.push({ from: `cand${n % CANDIDATES}@${DOMAIN}`, raw: Buffer.from(await sign(reply(n), key), 'utf8') });
  }
  const zone = {
    [DOMAIN]: { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    [`_dmarc.${DOMAIN}`]: { TXT: ['v=DMARC1; p=reject'] },
    [`bench._domainkey.${DOMAIN}`]: { TXT: [key.record] },
  };
  return { messages, zone };
}

/** The minimal pipeline: the same libraries, IN_FLIGHT messages at a time, in this process. Messages a second. */
async function minimal(messages: readonly Outgoing[], zone: Record<string, { TXT: string[] }>): Promise<number> {
  const resolver = zoneResolver(zone);
  let next = 0;
  let passed = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    for (let i = next++; i < messages.length; i = next++) {
      const { from, raw } = messages[i] as Outgoing;
      const auth = await authenticate(raw, { ip: '127.0.0.1', helo: 'bench.example', sender: from, mta: 'mx.mailroom.test', resolver: resolver as never });
      if (auth.dmarc && (auth.dmarc as { status?: { result?: string } }).status?.result === 'pass') passed++;
      const parsed = await simpleParser(raw);
      new EmailReplyParser().read(parsed.text ?? '').getVisibleText();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const rate = messages.length / ((performance.now() - started) / 1000);
  if (passed !== messages.length) log(`minimal pipeline: only ${passed} of ${messages.length} passed DMARC`);
  return rate;
}

interface Run {
  perSecond: number;
  assigned: number;
  /** Statements per processed message (PostgreSQL). */
  roundTrips: number | null;
}

async function statementCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: string | null }>(
      `SELECT SUM(calls) AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%bench observer%' AND query NOT LIKE '%pg_stat_statements%'`,
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

async function printTopStatements(url: string, processed: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ calls: string; ms: number; query: string }>(
      `SELECT calls, total_exec_time AS ms, query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT LIKE '%bench observer%' AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC LIMIT 25`,
    );
    for (const row of r.rows)
      log(
        `${(Number(row.calls) / processed).toFixed(2).padStart(6)} /msg ${(row.ms / Number(row.calls)).toFixed(2).padStart(6)} ms  ${row.query.replace(/\s+/g, ' ').slice(0, 150)}`,
      );
  } finally {
    await client.end();
  }
}

const THREADS = values.threads.split(',').map(Number);
const threadsLabel = (n: number): string => (n === 0 ? '' : `, ${n} pipeline thread${n === 1 ? '' : 's'}`);

async function mailroom(
  messages: readonly Outgoing[],
  zone: Record<string, unknown>,
  cluster: PostgresCluster | null,
  round: number,
  threads: number,
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-processing-'));
  const url = cluster ? await cluster.createDatabase(`bench_processing_${round}_${Date.now()}`) : '';
  const config = configSchema.parse({ data: { dir }, database: { url }, secret: { key: url ? KEY : '' }, log: { level: 'silent' } });
  const ctx = await createContext(config, { log: createLogger('silent') });
  await ctx.tenants.add({ slug: 'acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] });
  for (let i = 0; i < CANDIDATES; i++) await ctx.candidates.upsert('acme', { externalId: `c-${i}`, name: `Candidate ${i}`, emails: [`cand${i}@${DOMAIN}`] });
  await ctx.close();
  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.end();
  }
  const env = {
    MAILROOM_DATABASE_URL: url,
    MAILROOM_SECRET_KEY: url ? KEY : '',
    MAILROOM_WORKER_IDLE_STOP_MS: '0',
    ...(threads !== 0 ? { MAILROOM_PIPELINE_THREADS: String(threads) } : {}),
  };
  const { server } = await startMailroomServe(dir, zone, env);
  const observer = url ? new pg.Client({ connectionString: url }) : null;
  await observer?.connect();
  const sqlite = url ? null : await createContext(configSchema.parse({ data: { dir }, log: { level: 'silent' } }), { log: createLogger('silent') });
  try {
    if (url) await observer!.query('SELECT pg_stat_statements_reset()');
    const before = url ? await statementCount(url) : 0;
    const sent = await sendEach(server.port, CONNECTIONS, messages, RECIPIENT);
    if (sent.errors > 0) log(`${sent.errors} messages refused`);
    const done = async (): Promise<number> => {
      if (observer) {
        const r = await observer.query<{ n: number }>(`SELECT /* bench observer */ COUNT(*)::int AS n FROM jobs WHERE state IN ('done', 'failed')`);
        return r.rows[0]!.n;
      }
      const jobs = await sqlite!.jobs.countByState();
      return jobs.done + jobs.failed;
    };
    const intakeEndedAt = performance.now();
    const processedAtIntakeEnd = await done();
    const deadline = Date.now() + 600_000;
    let finishedAt = performance.now();
    while (Date.now() < deadline) {
      if ((await done()) >= sent.sent) {
        finishedAt = performance.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Where the time went: accepting (the pipeline mostly waits for a burst to end), then draining the backlog.
    log(
      `  intake ${((intakeEndedAt - sent.firstAt) / 1000).toFixed(2)} s (${processedAtIntakeEnd} processed by its end), then ${((finishedAt - intakeEndedAt) / 1000).toFixed(2)} s to process the rest`,
    );
    const statements = url ? (await statementCount(url)) - before : 0;
    if (url && values.statements) await printTopStatements(url, sent.sent);
    const assigned = observer
      ? (await observer.query<{ n: number }>(`SELECT /* bench observer */ COUNT(*)::int AS n FROM messages WHERE status = 'assigned'`)).rows[0]!.n
      : ((await sqlite!.sql.prepare(`SELECT COUNT(*) AS n FROM messages WHERE status = 'assigned'`).get()) as { n: number }).n;
    return { perSecond: sent.sent / ((finishedAt - sent.firstAt) / 1000), assigned, roundTrips: url ? statements / Math.max(1, sent.sent) : null };
  } finally {
    await observer?.end();
    await sqlite?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  log(`signing ${count} replies from ${CANDIDATES} candidates`);
  const { messages, zone } = await messagesAndZone();
  const backends = new Set(values.backends.split(','));
  const unavailable = backends.has('postgres') ? postgresUnavailable() : 'not asked for (--backends)';
  const clusterDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-processing-pg-'));
  const cluster = unavailable
    ? null
    : await startPostgres(clusterDir, {
        fsync: true,
        settings: [
          ['shared_preload_libraries', 'pg_stat_statements'],
          ['pg_stat_statements.track', 'top'],
        ],
      });
  if (!cluster) log(`PostgreSQL skipped: ${unavailable}`);
  const minimalRates: number[] = [];
  const sqliteRuns = new Map<number, Run[]>(THREADS.map((n) => [n, []]));
  const postgresRuns: Run[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      log(`round ${round}/${rounds}: the minimal pipeline`);
      minimalRates.push(await minimal(messages, zone));
      for (const threads of backends.has('sqlite') ? THREADS : []) {
        log(`round ${round}/${rounds}: mailroom on SQLite${threadsLabel(threads)}`);
        sqliteRuns.get(threads)!.push(await mailroom(messages, zone, null, round, threads));
      }
      if (cluster) {
        log(`round ${round}/${rounds}: mailroom on PostgreSQL, one node`);
        postgresRuns.push(await mailroom(messages, zone, cluster, round, THREADS[0]!));
      }
    }
  } finally {
    await cluster?.stop();
    rmSync(clusterDir, { recursive: true, force: true });
  }
  const base = median(minimalRates);
  const firstRuns = sqliteRuns.get(THREADS[0]!)!;
  const sqlite = median(firstRuns.map((r) => r.perSecond));
  const postgres = postgresRuns.length ? median(postgresRuns.map((r) => r.perSecond)) : null;
  const trips = postgresRuns.length ? median(postgresRuns.map((r) => r.roundTrips ?? 0)) : null;
  const spread = (rates: number[]): string => (rates.length > 1 ? `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}` : '');
  const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
  const rows = [
    `| minimal pipeline (one process, ${IN_FLIGHT} in flight) | ${base.toFixed(0)} | ${spread(minimalRates)} | 1.00x | | | |`,
    ...[...sqliteRuns]
      .filter(([, runs]) => runs.length > 0)
      .map(([threads, runs]) => {
        const rate = median(runs.map((r) => r.perSecond));
        const ratio = `${(rate / base).toFixed(2)}x of minimal${runs === firstRuns ? '' : `, ${(rate / sqlite).toFixed(2)}x of the first`}`;
        return `| mailroom, SQLite${threadsLabel(threads)} | ${rate.toFixed(0)} | ${spread(runs.map((r) => r.perSecond))} | ${ratio} | ${met(rate / base >= 0.8)} (>= 0.8x) | ${runs.map((r) => r.assigned).join(', ')} | |`;
      }),
    ...(postgres !== null && trips !== null
      ? [
          `| mailroom, PostgreSQL, one node${threadsLabel(THREADS[0]!)} | ${postgres.toFixed(0)} | ${spread(postgresRuns.map((r) => r.perSecond))} | ${firstRuns.length ? `${(postgres / sqlite).toFixed(2)}x of SQLite | ${met(postgres / sqlite >= 0.7)} (>= 0.7x)` : `${(postgres / base).toFixed(2)}x of minimal | (SQLite not run)`} | ${postgresRuns.map((r) => r.assigned).join(', ')} | ${trips.toFixed(1)} (${met(trips <= 3)}, <= 3) |`,
        ]
      : []),
  ];
  process.stdout.write(
    [
      '# Processing: from the first 250 to the last message processed',
      '',
      `${count} DKIM-signed replies (text and HTML, quoted history, DMARC pass) from ${CANDIDATES} known candidates over ${CONNECTIONS} connections; median of ${rounds} round(s), the range beside it.`,
      '',
      '| | messages/s | range | ratio | target met | assigned (each round) | statements per message |',
      '|---|---:|---:|---:|---|---:|---:|',
      ...rows,
      '',
    ].join('\n'),
  );
  process.exit(0);
}

await main();

// npm run bench:api-load [-- --seconds N --rounds N]
// Does the HTTP API starve SMTP intake? The server runs SMTP and the API on one
// event loop, so this measures SMTP DATA-to-250 latency (p50, p99) with the API
// idle, next to the same while the API serves 10 concurrent downloads of 30 MB
// raw messages and 1000-row candidate upserts, taking turns for N rounds in one
// run. Target: loaded p99 within 2x of idle. Prints figures, asserts nothing.
// (The load client and the downloads run in this process, on the same two cores
// as the server: the loaded figure includes that contention.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiTokenStore, openDatabase, TenantStore, SqliteSql } from '../src/store/index.ts';
import { makeMessage, runLoad, type LoadResult } from './lib/smtp-load.ts';
import { startMailroomServe } from './lib/processes.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    // To see where the cost goes: either kind of API load alone.
    downloads: { type: 'string', default: '10' },
    upserts: { type: 'boolean', default: true },
    'no-upserts': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const RECIPIENT = 'careers@replies.bench.example';
const BIG_BYTES = 30 * 1024 * 1024;
const DOWNLOADERS = Number(values.downloads);
const UPSERTS = !values['no-upserts'];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function prepare(dataDir: string): Promise<string> {
  const db = openDatabase(dataDir);
  const tenant = await new TenantStore(SqliteSql.of(db), () => new Date()).add({
    slug: 'bench',
    domains: ['bench.example'],
    replyDomains: ['replies.bench.example'],
    forwardAddresses: [],
  });
  const token = (await new ApiTokenStore(SqliteSql.of(db)).create(tenant.id, 'bench', new Date().toISOString())).token;
  db.close();
  return token;
}

/** Sends the big messages over SMTP and waits until the pipeline has processed them. */
async function seedBigMessages(port: number, base: string, token: string, count: number): Promise<string[]> {
  for (let i = 0; i < count; i++) {
    log(`storing a ${BIG_BYTES / 1024 / 1024} MB message (${i + 1}/${count})`);
    const before = Date.now();
    const result = await runLoad({
      port,
      connections: 1,
      persistent: false,
      message: makeMessage(BIG_BYTES, i),
      recipient: RECIPIENT,
      seconds: 120,
      maxMessages: 1,
    });
    if (result.messages !== 1) throw new Error('the big message was not accepted');
    log(`  accepted in ${((Date.now() - before) / 1000).toFixed(1)} s`);
  }
  for (;;) {
    const page = (await (await fetch(`${base}/v1/messages?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      items: { id: string; status: string; size: number }[];
    };
    const big = page.items.filter((m) => m.size >= BIG_BYTES);
    if (big.length >= count && big.every((m) => m.status !== 'received')) return big.map((m) => m.id);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Keeps the API busy until `until`: downloads in `DOWNLOADERS` lanes, bulk upserts in one. Returns what it did. */
async function apiLoad(base: string, token: string, ids: readonly string[], until: number): Promise<{ downloadMbPerS: number; upsertsPerS: number }> {
  const started = Date.now();
  const headers = { authorization: `Bearer ${token}` };
  let bytes = 0;
  let upserts = 0;
  const download = async (lane: number): Promise<void> => {
    for (let n = lane; Date.now() < until; n++) {
      const response = await fetch(`${base}/v1/messages/${ids[n % ids.length]}/raw`, { headers });
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    }
  };
  const upsert = async (): Promise<void> => {
    for (let round = 0; Date.now() < until; round++) {
      const candidates = Array.from({ length: 1000 }, (_, i) => ({
        externalId: `bulk-${i}`,
        name: `Bulk ${i} ${round}`,
        emails: [`bulk${i}@candidate.example`],
      }));
      const response = await fetch(`${base}/v1/candidates/bulk`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ candidates }),
      });
      if (response.status !== 200) throw new Error(`bulk upsert answered ${response.status}`);
      await response.body?.cancel();
      upserts++;
    }
  };
  await Promise.all([...Array.from({ length: DOWNLOADERS }, (_, i) => download(i)), ...(UPSERTS ? [upsert()] : [])]);
  // Downloads under way at the deadline finish after it: the rates are over the whole time taken.
  const elapsed = (Date.now() - started) / 1000;
  return { downloadMbPerS: bytes / 1024 / 1024 / elapsed, upsertsPerS: upserts / elapsed };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-api-'));
  const token = await prepare(dataDir);
  const { server: smtp, httpPort } = await startMailroomServe(dataDir, {});
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const ids = await seedBigMessages(smtp.port, base, token, 3);
    const idle: LoadResult[] = [];
    const loaded: (LoadResult & { downloadMbPerS: number; upsertsPerS: number })[] = [];
    const smtpLoad = (): Promise<LoadResult> =>
      runLoad({ port: smtp.port, connections: 4, persistent: true, message: makeMessage(4096), recipient: RECIPIENT, seconds, maxMessages: 1_000_000 });
    for (let r = 1; r <= rounds; r++) {
      log(`round ${r}/${rounds}: SMTP with the API idle`);
      idle.push(await smtpLoad());
      log(`round ${r}/${rounds}: SMTP while the API serves ${DOWNLOADERS} downloads of 30 MB${UPSERTS ? ' and 1000-row upserts' : ''}`);
      const until = Date.now() + seconds * 1000;
      const [load, api] = await Promise.all([smtpLoad(), apiLoad(base, token, ids, until)]);
      loaded.push({ ...load, ...api });
    }
    const idleP99 = median(idle.map((r) => r.p99Ms));
    const loadedP99 = median(loaded.map((r) => r.p99Ms));
    const rows = [
      ['API idle', median(idle.map((r) => r.perSecond)), median(idle.map((r) => r.p50Ms)), idleP99, '', ''],
      [
        'API busy',
        median(loaded.map((r) => r.perSecond)),
        median(loaded.map((r) => r.p50Ms)),
        loadedP99,
        median(loaded.map((r) => r.downloadMbPerS)).toFixed(0),
        median(loaded.map((r) => r.upsertsPerS)).toFixed(1),
      ],
    ];
    const out = [
      '# SMTP intake while the API is busy',
      '',
      `${rounds} rounds of ${seconds} s each way, 4 SMTP connections sending 4 KB messages; medians of the rounds.`,
      '',
      '| API | messages/s | DATA-to-250 p50 (ms) | p99 (ms) | raw download MB/s | 1000-row upserts/s |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows.map(
        ([name, rate, p50, p99, mb, up]) => `| ${name} | ${Number(rate).toFixed(0)} | ${Number(p50).toFixed(1)} | ${Number(p99).toFixed(1)} | ${mb} | ${up} |`,
      ),
      '',
      `p99 busy / idle: **${(loadedP99 / idleP99).toFixed(2)}x** (target: at most 2x)`,
      '',
    ];
    process.stdout.write(out.join('\n'));
  } finally {
    await smtp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

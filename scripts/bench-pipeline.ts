// npm run bench:pipeline [-- --seconds N --rounds N --corpus DIR] [--reply-text]
// Messages per second through the whole pipeline (authenticate, parse, classify,
// forwards, reply text), DNS from a zone, next to mailparser's simpleParser alone
// on the same messages in the same run, taking turns for several rounds
// (medians: one measurement swings by a fifth here). The pipeline runs as the
// worker runs it: claimed batches in groups, each stage over a whole group
// (src/pipeline/worker.ts); and, to show what that is worth, with each message
// going through every stage on its own, as many in flight. Three sets of messages:
// - our test fixtures (0.5 KB on average), where the per-message costs of
//   authentication (SPF and DMARC lookups, the signature) outweigh parsing;
// - a mix of replies as they arrive (lib/reply-mix.ts: HTML alternatives, quoted
//   threads, a CV attached; 0.5 to 200 KB);
// - real mail: every .eml under ../shared/corpus (bounces, replies, forwards
//   from other open-source projects), read in place and never copied into the
//   project, line ends made CRLF as the listener stores them; skipped when the
//   folder is not there.
// Each set is measured as it is and DKIM-signed by its From domains, as the big
// providers send nearly all mail: verifying a signature is the pipeline's
// largest single cost. Then the peak memory of one 25 MB message with
// attachments, in a fresh process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { zoneResolver } from '../src/dns/index.ts';
import { configSchema } from '../src/config/index.ts';
import { runPipeline, runPipelineGroup } from '../src/pipeline/stages.ts';
import { CLAIM_BATCH, pipelineGroups } from '../src/pipeline/worker.ts';
import EmailReplyParser from 'email-reply-parser';
import { replyText } from '../src/reply/index.ts';
import { replyMix, replyTextSamples } from './lib/reply-mix.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    corpus: { type: 'string', default: '../shared/corpus' },
    'one-big-message': { type: 'string' },
    // Only the reply-text timings (for comparing two versions of src/reply quickly).
    'reply-text': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const envelope = {
  sessionId: 'bench',
  clientIp: '192.0.2.10',
  clientPort: 1,
  helo: 'mail.example.org',
  mailFrom: 'jane@example.org',
  rcptTo: ['careers@replies.acme.com'],
  tls: null,
};

function fixtures(): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of ['fixtures/classify', 'fixtures/parse', 'fixtures/reply']) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml'))) out.push(readFileSync(join(dir, name)));
  }
  return out;
}

/** Every .eml file under the corpus folder, line ends made CRLF (as stored); empty when the folder is not there. */
function corpusMail(root: string): Buffer[] {
  if (!existsSync(root)) return [];
  const files = (readdirSync(root, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((entry) => entry.isFile() && entry.name.endsWith('.eml'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  return files.map((file) => Buffer.from(readFileSync(file, 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
}

/**
 * The messages signed by their From domains (a selector in each domain, published
 * in the returned zone); a message without a From stays as it is. One RSA-2048
 * key serves every domain: making hundreds takes minutes, and a key parsed once
 * is kept by the verifier either way.
 */
async function signedCopies(messages: Buffer[]): Promise<{ signed: Buffer[]; zone: Record<string, { TXT: string[] }> }> {
  const { makeSigner, sign } = await import('../test/helpers/dkim.ts');
  const key = makeSigner('bench.example', 'bench');
  const zone: Record<string, { TXT: string[] }> = {};
  const signed: Buffer[] = [];
  for (const raw of messages) {
    const domain = /^From:[^\r\n]*@([A-Za-z0-9.-]+)/im.exec(raw.toString('latin1'))?.[1]?.toLowerCase();
    if (!domain) {
      signed.push(raw);
      continue;
    }
    zone[`bench._domainkey.${domain}`] = { TXT: [key.record] };
    signed.push(Buffer.from(await sign(raw.toString('latin1'), { ...key, domain }), 'latin1'));
  }
  return { signed, zone };
}

/** A message of about `mb` megabytes: a short text and base64 attachments of 1 MB each. */
function bigMessage(mb: number): Buffer {
  const parts = [
    `From: Jane <jane@example.org>\r\nTo: careers@replies.acme.com\r\nSubject: Portfolio\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nMy portfolio, as promised.\r\n`,
  ];
  const chunk = Buffer.alloc(768 * 1024, 7)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  for (let i = 0; i < mb; i++)
    parts.push(
      `--big\r\nContent-Type: application/octet-stream; name="part${i}.bin"\r\nContent-Disposition: attachment; filename="part${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${chunk}\r\n`,
    );
  parts.push('--big--\r\n');
  return Buffer.from(parts.join(''), 'latin1');
}

/** Messages in flight as the worker runs them (worker.concurrency's default), for simpleParser too; the target is judged at this. */
const CONCURRENCY = configSchema.parse({}).worker.concurrency;

/** Messages per second with `inFlight` messages each going its own way. */
async function rate(run: (raw: Buffer) => Promise<unknown>, messages: Buffer[], inFlight = CONCURRENCY, forSeconds = seconds): Promise<number> {
  const end = performance.now() + forSeconds * 1000;
  let count = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < end) await run(messages[count++ % messages.length] as Buffer);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return count / ((performance.now() - start) / 1000);
}

/** Messages per second through the pipeline as the worker runs it: CLAIM_BATCH at a time, in its groups, CONCURRENCY in flight within a stage. */
async function claimRate(deps: Parameters<typeof runPipelineGroup>[1], messages: Buffer[], forSeconds = seconds): Promise<number> {
  const end = performance.now() + forSeconds * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < end) {
    const claimed = Array.from({ length: CLAIM_BATCH }, () => messages[count++ % messages.length] as Buffer);
    for await (const group of pipelineGroups(claimed, (raw) => raw.length)) {
      await runPipelineGroup(
        group.map((raw) => ({ raw, envelope, lastAttempt: true })),
        deps,
        CONCURRENCY,
      );
    }
  }
  return count / ((performance.now() - start) / 1000);
}

function kb(field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
}

/** In a fresh process: read the message from its file, as the worker does, and run the pipeline on it. */
async function oneBigMessage(file: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-big-'));
  const before = kb('VmRSS');
  const raw = readFileSync(file);
  await runPipeline({ raw, envelope, lastAttempt: true }, { resolver: zoneResolver({}), mta: 'mx.bench', dataDir });
  process.stdout.write(`${JSON.stringify({ sizeMb: raw.length / 1048576, beforeMb: before / 1024, peakMb: kb('VmHWM') / 1024 })}\n`);
  rmSync(dataDir, { recursive: true, force: true });
}

/** One set of messages, as they are and signed. */
interface MessageSet {
  name: string;
  unsigned: Buffer[];
  signed: Buffer[];
}

/** Rounds of one set, as it is or signed: simpleParser alone, the pipeline in the worker's groups, each message on its own. */
interface Rates {
  parse: number[];
  grouped: number[];
  each: number[];
}
type SetRates = Record<'unsigned' | 'signed', Rates>;

const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;
const judged = (ratio: number): string => `target >= 50%: ${ratio >= 0.5 ? 'met' : 'NOT met'}`;
/** Each round's pipeline rate over that round's simpleParser rate: the two were measured moments apart, under the same load. */
const ratios = (pipelines: number[], parses: number[]): number[] => pipelines.map((p, i) => p / (parses[i] as number));
const listed = (values: number[]): string => values.map((r) => `${(100 * r).toFixed(0)}%`).join(', ');
const averageKb = (messages: Buffer[]): string => (messages.reduce((n, m) => n + m.length, 0) / messages.length / 1024).toFixed(1);

function setReport(set: MessageSet, r: SetRates): string[] {
  const m = (variant: keyof SetRates, measure: keyof Rates): number => median(r[variant][measure]);
  // Judged on the median of the rounds' ratios, not the ratio of two medians
  // taken from different rounds: this box's speed swings within a minute.
  const verdict = (variant: keyof SetRates): string => {
    const { parse, grouped, each } = r[variant];
    const [groupedRatios, eachRatios] = [ratios(grouped, parse), ratios(each, parse)];
    return `**${percent(median(groupedRatios), 1)}** (${judged(median(groupedRatios))}; round by round ${listed(groupedRatios)}; each message on its own ${percent(median(eachRatios), 1)}, round by round ${listed(eachRatios)})`;
  };
  return [
    `| ${set.name} (${set.unsigned.length} messages, ${averageKb(set.unsigned)} KB on average), ${CONCURRENCY} in flight | unsigned, msgs/s | DKIM-signed, msgs/s |`,
    '|---|---:|---:|',
    `| mailparser simpleParser alone | ${m('unsigned', 'parse').toFixed(0)} | ${m('signed', 'parse').toFixed(0)} |`,
    `| whole pipeline (auth, parse, classify, forwards, reply text), as the worker runs it: a stage at a time over groups of ${CLAIM_BATCH} | ${m('unsigned', 'grouped').toFixed(0)} | ${m('signed', 'grouped').toFixed(0)} |`,
    `| whole pipeline, each message through every stage on its own | ${m('unsigned', 'each').toFixed(0)} | ${m('signed', 'each').toFixed(0)} |`,
    '',
    `- ${set.name}, pipeline / parse-only, unsigned: ${verdict('unsigned')}; DKIM-signed: ${verdict('signed')}`,
    '',
  ];
}

/** Microseconds a call, the median of `rounds` runs of `calls` calls each. */
function microsPerCall(run: () => unknown, calls: number): number {
  const runs: number[] = [];
  for (let round = 0; round < Math.max(3, rounds); round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) run();
    runs.push(((performance.now() - start) * 1000) / calls);
  }
  return median(runs);
}

/** Reply text alone on a 4 KB reply and a 128 KB thread, next to email-reply-parser alone on the same text (what it builds on). */
function replyTextReport(): string[] {
  const parser = new EmailReplyParser();
  const rows = replyTextSamples().map(({ name, text }) => {
    const calls = text.length > 32 * 1024 ? 200 : 2000;
    for (let i = 0; i < 50; i++) replyText(text); // warm up
    const ours = microsPerCall(() => replyText(text), calls);
    const parserAlone = microsPerCall(() => parser.read(text).getVisibleText(), calls);
    return `| ${name} (${(text.length / 1024).toFixed(0)} KB) | ${ours.toFixed(0)} | ${parserAlone.toFixed(0)} |`;
  });
  return ['| reply text | mailroom, µs a message | email-reply-parser alone, µs |', '|---|---:|---:|', ...rows, ''];
}

async function main(): Promise<void> {
  if (values['one-big-message']) return oneBigMessage(values['one-big-message']);
  if (values['reply-text']) return void process.stdout.write(`${replyTextReport().join('\n')}\n`);
  const unsignedSets: Omit<MessageSet, 'signed'>[] = [
    { name: 'test fixtures', unsigned: fixtures() },
    { name: 'reply mix', unsigned: replyMix() },
    { name: `real mail from ${values.corpus}`, unsigned: corpusMail(values.corpus) },
  ].filter((set) => set.unsigned.length > 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-pipeline-'));
  process.stderr.write(`signing ${unsignedSets.map((set) => `the ${set.name}`).join(', ')}\n`);
  // One call, so a domain in several sets has one selector.
  const { signed: signedAll, zone } = await signedCopies(unsignedSets.flatMap((set) => set.unsigned));
  let offset = 0;
  const sets: MessageSet[] = unsignedSets.map((set) => {
    const signed = signedAll.slice(offset, offset + set.unsigned.length);
    offset += set.unsigned.length;
    return { ...set, signed };
  });
  const fixtureSet = sets[0] as MessageSet;
  const deps = { resolver: zoneResolver({ ...zone, 'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] } }), mta: 'mx.bench', dataDir };
  const verdict = await runPipeline({ raw: fixtureSet.signed[0] as Buffer, envelope, lastAttempt: true }, deps);
  if (verdict.processed.auth?.dkim !== 'pass') throw new Error(`the signed fixtures do not verify (dkim=${verdict.processed.auth?.dkim})`);
  try {
    const parse = (raw: Buffer): Promise<unknown> => simpleParser(raw);
    const pipe = (raw: Buffer): Promise<unknown> => runPipeline({ raw, envelope, lastAttempt: true }, deps);
    process.stderr.write('warming up\n');
    for (const set of sets) {
      await rate(parse, set.unsigned.slice(0, 50), CONCURRENCY, 1);
      await claimRate(deps, set.signed.slice(0, 50), 1);
      await rate(pipe, set.signed.slice(0, 50), CONCURRENCY, 1);
    }
    const fresh = (): Rates => ({ parse: [], grouped: [], each: [] });
    const rates = sets.map((): SetRates => ({ unsigned: fresh(), signed: fresh() }));
    const sequential = { parse: [] as number[], pipeline: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(
        `round ${round}/${rounds}: per set, unsigned then signed, simpleParser alone, the pipeline in groups, the pipeline a message at a time, ${CONCURRENCY} in flight, ${seconds}s each; then the fixtures 1 at a time\n`,
      );
      for (const [i, set] of sets.entries()) {
        for (const variant of ['unsigned', 'signed'] as const) {
          const r = (rates[i] as SetRates)[variant];
          r.parse.push(await rate(parse, set[variant]));
          r.grouped.push(await claimRate(deps, set[variant]));
          r.each.push(await rate(pipe, set[variant]));
        }
      }
      sequential.parse.push(await rate(parse, fixtureSet.unsigned, 1));
      sequential.pipeline.push(await rate(pipe, fixtureSet.unsigned, 1));
    }
    process.stderr.write('one 25 MB message in a fresh process\n');
    const bigFile = join(dataDir, 'big.eml');
    writeFileSync(bigFile, bigMessage(25));
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--one-big-message', bigFile], { encoding: 'utf8' });
    const big = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { sizeMb: number; beforeMb: number; peakMb: number };
    const growth = big.peakMb - big.beforeMb;
    const out = [
      `# Pipeline benchmark (${new Date().toISOString()}, node ${process.version}, ${rounds} rounds of ${seconds}s each, medians)`,
      '',
      ...sets.flatMap((set, i) => setReport(set, rates[i] as SetRates)),
      ...replyTextReport(),
      `- test fixtures one at a time, unsigned: simpleParser ${median(sequential.parse).toFixed(0)} msgs/s, pipeline ${median(sequential.pipeline).toFixed(0)} msgs/s (${percent(median(sequential.pipeline), median(sequential.parse))})`,
      ...(sets.length < 3 ? [`- real mail: ${values.corpus} is not there, so not measured`] : []),
      `- one ${big.sizeMb.toFixed(1)} MB message with attachments: RSS grew by **${growth.toFixed(1)} MB** = ${(growth / big.sizeMb).toFixed(2)}x its size (peak ${big.peakMb.toFixed(1)} MB of which ${big.beforeMb.toFixed(1)} MB before reading it; target < 3x: ${growth / big.sizeMb < 3 ? 'met' : 'NOT met'})`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

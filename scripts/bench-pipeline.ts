// npm run bench:pipeline [-- --seconds N --rounds N]
// Messages per second through the whole pipeline (authenticate, parse, classify,
// forwards, reply text) on a mixed set of our fixtures, DNS from a zone, next to
// mailparser's simpleParser alone on the same messages in the same run, taking
// turns for several rounds (medians: one measurement swings by a fifth here).
// The fixtures are measured as they are (unsigned) and DKIM-signed by their
// From domains, as the big providers send nearly all mail: verifying a
// signature is the pipeline's largest single cost, so both figures are shown.
// The fixtures are small hand-made test messages (1 KB on average), where the
// per-message costs of authentication (SPF and DMARC lookups, the signature)
// outweigh parsing; so a mix of replies as they arrive (lib/reply-mix.ts: HTML
// alternatives, quoted threads, a CV attached; 0.5 to 200 KB) is measured too.
// Then the peak memory of one 25 MB message with attachments, in a fresh process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { zoneResolver } from '../src/auth/index.ts';
import { runPipeline } from '../src/pipeline/stages.ts';
import { replyMix } from './lib/reply-mix.ts';
import { median } from './lib/stats.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, 'one-big-message': { type: 'string' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);


const envelope = { sessionId: 'bench', clientIp: '192.0.2.10', clientPort: 1, helo: 'mail.example.org', mailFrom: 'jane@example.org', rcptTo: ['careers@replies.acme.com'], tls: null };

function fixtures(): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of ['fixtures/classify', 'fixtures/parse', 'fixtures/reply']) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml'))) out.push(readFileSync(join(dir, name)));
  }
  return out;
}

/** The messages signed by their From domains (one key each, published in the returned zone); a message without a From stays as it is. */
async function signedCopies(messages: Buffer[]): Promise<{ signed: Buffer[]; zone: Record<string, { TXT: string[] }> }> {
  const { makeSigner, sign } = await import('../test/helpers/dkim.ts');
  const signers = new Map<string, ReturnType<typeof makeSigner>>();
  const zone: Record<string, { TXT: string[] }> = {};
  const signed: Buffer[] = [];
  for (const raw of messages) {
    const domain = /^From:[^\r\n]*@([A-Za-z0-9.-]+)/im.exec(raw.toString('latin1'))?.[1]?.toLowerCase();
    if (!domain) {
      signed.push(raw);
      continue;
    }
    let signer = signers.get(domain);
    if (!signer) {
      signer = makeSigner(domain, 'bench');
      signers.set(domain, signer);
      zone[`bench._domainkey.${domain}`] = { TXT: [signer.record] };
    }
    signed.push(Buffer.from(await sign(raw.toString('latin1'), signer), 'latin1'));
  }
  return { signed, zone };
}

/** A message of about `mb` megabytes: a short text and base64 attachments of 1 MB each. */
function bigMessage(mb: number): Buffer {
  const parts = [`From: Jane <jane@example.org>\r\nTo: careers@replies.acme.com\r\nSubject: Portfolio\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nMy portfolio, as promised.\r\n`];
  const chunk = Buffer.alloc(768 * 1024, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  for (let i = 0; i < mb; i++) parts.push(`--big\r\nContent-Type: application/octet-stream; name="part${i}.bin"\r\nContent-Disposition: attachment; filename="part${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${chunk}\r\n`);
  parts.push('--big--\r\n');
  return Buffer.from(parts.join(''), 'latin1');
}

/** Messages in flight as the worker runs them (worker.concurrency's default); the target is judged at this. */
const CONCURRENCY = 4;

async function rate(run: (raw: Buffer) => Promise<unknown>, messages: Buffer[], inFlight = CONCURRENCY): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < end) await run(messages[count++ % messages.length] as Buffer);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
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

async function main(): Promise<void> {
  if (values['one-big-message']) return oneBigMessage(values['one-big-message']);
  const messages = fixtures();
  const mix = replyMix();
  const dataDir = mkdtempSync(join(tmpdir(), 'mailroom-bench-pipeline-'));
  process.stderr.write('signing the fixtures and the reply mix\n');
  // One call, so a domain in both sets gets one key.
  const { signed: signedAll, zone } = await signedCopies([...messages, ...mix]);
  const signed = signedAll.slice(0, messages.length);
  const mixSigned = signedAll.slice(messages.length);
  const deps = { resolver: zoneResolver({ ...zone, 'example.org': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] } }), mta: 'mx.bench', dataDir };
  const verdict = await runPipeline({ raw: signed[0] as Buffer, envelope, lastAttempt: true }, deps);
  if (verdict.processed.auth?.dkim !== 'pass') throw new Error(`the signed fixtures do not verify (dkim=${verdict.processed.auth?.dkim})`);
  try {
    process.stderr.write('warming up\n');
    await rate((raw) => simpleParser(raw), messages.slice(0, 3));
    await rate((raw) => runPipeline({ raw, envelope, lastAttempt: true }, deps), messages.slice(0, 3));
    const parse = (raw: Buffer): Promise<unknown> => simpleParser(raw);
    const pipe = (raw: Buffer): Promise<unknown> => runPipeline({ raw, envelope, lastAttempt: true }, deps);
    const runs = {
      parseOnly: [] as number[],
      pipeline: [] as number[],
      parseOnlySigned: [] as number[],
      pipelineSigned: [] as number[],
      parseOnlySequential: [] as number[],
      pipelineSequential: [] as number[],
      parseOnlyMix: [] as number[],
      pipelineMix: [] as number[],
      parseOnlyMixSigned: [] as number[],
      pipelineMixSigned: [] as number[],
    };
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`round ${round}/${rounds}: simpleParser alone, whole pipeline, unsigned then signed, ${CONCURRENCY} in flight, then unsigned 1 at a time, then the reply mix, ${seconds}s each\n`);
      runs.parseOnly.push(await rate(parse, messages));
      runs.pipeline.push(await rate(pipe, messages));
      runs.parseOnlySigned.push(await rate(parse, signed));
      runs.pipelineSigned.push(await rate(pipe, signed));
      runs.parseOnlySequential.push(await rate(parse, messages, 1));
      runs.pipelineSequential.push(await rate(pipe, messages, 1));
      runs.parseOnlyMix.push(await rate(parse, mix));
      runs.pipelineMix.push(await rate(pipe, mix));
      runs.parseOnlyMixSigned.push(await rate(parse, mixSigned));
      runs.pipelineMixSigned.push(await rate(pipe, mixSigned));
    }
    const m = Object.fromEntries(Object.entries(runs).map(([name, rates]) => [name, median(rates)])) as Record<keyof typeof runs, number>;
    const { parseOnly, pipeline, parseOnlySigned, pipelineSigned, parseOnlySequential, pipelineSequential, parseOnlyMix, pipelineMix, parseOnlyMixSigned, pipelineMixSigned } = m;
    const roundRatios = (pipelines: number[], parses: number[]): string => pipelines.map((p, i) => `${((100 * p) / (parses[i] as number)).toFixed(0)}%`).join(', ');
    const judged = (ratio: number): string => `target >= 50%: ${ratio >= 0.5 ? 'met' : 'NOT met'}`;
    process.stderr.write('one 25 MB message in a fresh process\n');
    const bigFile = join(dataDir, 'big.eml');
    writeFileSync(bigFile, bigMessage(25));
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--one-big-message', bigFile], { encoding: 'utf8' });
    const big = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { sizeMb: number; beforeMb: number; peakMb: number };
    const growth = big.peakMb - big.beforeMb;
    const out = [
      `# Pipeline benchmark (${new Date().toISOString()}, node ${process.version}, ${messages.length} fixture messages, ${rounds} rounds of ${seconds}s each, medians)`,
      '',
      `| run | unsigned, msgs/s, ${CONCURRENCY} in flight | unsigned, 1 at a time | DKIM-signed, ${CONCURRENCY} in flight |`,
      '|---|---:|---:|---:|',
      `| mailparser simpleParser alone | ${parseOnly.toFixed(0)} | ${parseOnlySequential.toFixed(0)} | ${parseOnlySigned.toFixed(0)} |`,
      `| whole pipeline (auth, parse, classify, forwards, reply text) | ${pipeline.toFixed(0)} | ${pipelineSequential.toFixed(0)} | ${pipelineSigned.toFixed(0)} |`,
      '',
      `- pipeline / parse-only, unsigned, ${CONCURRENCY} in flight as the worker runs: **${((100 * pipeline) / parseOnly).toFixed(1)}%** of the medians (${judged(pipeline / parseOnly)}; round by round ${roundRatios(runs.pipeline, runs.parseOnly)}); one at a time: ${((100 * pipelineSequential) / parseOnlySequential).toFixed(1)}%`,
      `- pipeline / parse-only, DKIM-signed (one RSA-2048 signature each, as providers sign): **${((100 * pipelineSigned) / parseOnlySigned).toFixed(1)}%** (${judged(pipelineSigned / parseOnlySigned)}; round by round ${roundRatios(runs.pipelineSigned, runs.parseOnlySigned)})`,
      '',
      `| reply mix (${mix.length} messages, ${(mix.reduce((n, m) => n + m.length, 0) / mix.length / 1024).toFixed(0)} KB on average), ${CONCURRENCY} in flight | unsigned, msgs/s | DKIM-signed, msgs/s |`,
      '|---|---:|---:|',
      `| mailparser simpleParser alone | ${parseOnlyMix.toFixed(0)} | ${parseOnlyMixSigned.toFixed(0)} |`,
      `| whole pipeline | ${pipelineMix.toFixed(0)} | ${pipelineMixSigned.toFixed(0)} |`,
      '',
      `- pipeline / parse-only on the reply mix, unsigned: **${((100 * pipelineMix) / parseOnlyMix).toFixed(1)}%** (${judged(pipelineMix / parseOnlyMix)}; round by round ${roundRatios(runs.pipelineMix, runs.parseOnlyMix)}); DKIM-signed: **${((100 * pipelineMixSigned) / parseOnlyMixSigned).toFixed(1)}%** (${judged(pipelineMixSigned / parseOnlyMixSigned)}; round by round ${roundRatios(runs.pipelineMixSigned, runs.parseOnlyMixSigned)})`,
      `- one ${big.sizeMb.toFixed(1)} MB message with attachments: RSS grew by **${growth.toFixed(1)} MB** = ${(growth / big.sizeMb).toFixed(2)}x its size (peak ${big.peakMb.toFixed(1)} MB of which ${big.beforeMb.toFixed(1)} MB before reading it; target < 3x: ${growth / big.sizeMb < 3 ? 'met' : 'NOT met'})`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

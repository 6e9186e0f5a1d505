// npm run eval -- <corpus-dir>...
// Measures message understanding against the real corpora in ../shared/corpus,
// read in place (never copied into the project), and prints a table per corpus.
// So far: bounces and auto-replies (sisimai). Forwards and reply text come with
// their stages.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { classify } from '../src/classify/index.ts';
import { parseMessage } from '../src/parse/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

interface SisimaiCase {
  file: string;
  /** Per bounced recipient; a string for the two mails that are not bounces. */
  expected: { reason: string; hardbounce: boolean; deliverystatus: string }[] | string;
}

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

async function evalSisimai(dir: string, scratch: string): Promise<string[]> {
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: SisimaiCase[] };
  let bounces = 0, bouncesFound = 0, hardAgree = 0, hardCompared = 0, recipientFound = 0;
  let vacations = 0, vacationsFound = 0, feedback = 0, feedbackOk = 0, negatives = 0, negativesOk = 0;
  const misses: string[] = [];
  let done = 0;
  for (const c of cases) {
    const path = join(dir, c.file);
    if (!existsSync(path)) continue;
    // sisimai's files have LF line ends; SMTP would have delivered CRLF.
    const raw = Buffer.from(readFileSync(path, 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const result = classify(await parseMessage(raw, scratch), raw);
    if (typeof c.expected === 'string') {
      negatives++;
      if (result.kind !== 'bounce') negativesOk++;
      else misses.push(`${basename(c.file)}: not a bounce, seen as one`);
      continue;
    }
    const reasons = c.expected.map((e) => e.reason);
    if (reasons.includes('vacation')) {
      vacations++;
      if (result.kind === 'auto_reply') vacationsFound++;
      else misses.push(`${basename(c.file)}: vacation seen as ${result.kind}`);
    } else if (reasons.includes('feedback')) {
      feedback++;
      if (result.kind !== 'message' && result.kind !== 'bounce') feedbackOk++;
      else misses.push(`${basename(c.file)}: feedback report seen as ${result.kind}`);
    } else {
      bounces++;
      if (result.kind === 'bounce' && result.bounce) {
        bouncesFound++;
        if (result.bounce.recipient) recipientFound++;
        const expectedHard = c.expected[0]?.hardbounce;
        if (expectedHard !== undefined) {
          hardCompared++;
          if (result.bounce.hard === expectedHard) hardAgree++;
        }
      } else misses.push(`${basename(c.file)}: bounce seen as ${result.kind}`);
    }
    if (++done % 100 === 0) process.stderr.write(`  sisimai: ${done}/${cases.length}\n`);
  }
  return [
    `## sisimai (${cases.length} mails)`,
    '',
    '| measure | result | floor |',
    '|---|---:|---:|',
    `| bounces detected as bounce | ${bouncesFound}/${bounces} (${pct(bouncesFound, bounces)}) | 95% |`,
    `| vacation replies detected as auto_reply | ${vacationsFound}/${vacations} (${pct(vacationsFound, vacations)}) | 95% |`,
    `| feedback reports neither reply nor bounce | ${feedbackOk}/${feedback} (${pct(feedbackOk, feedback)}) | 95% |`,
    `| hard/soft agreement on detected bounces | ${hardAgree}/${hardCompared} (${pct(hardAgree, hardCompared)}) | 85% |`,
    `| non-bounces not taken for bounces | ${negativesOk}/${negatives} | |`,
    `| failed recipient found on detected bounces | ${recipientFound}/${bouncesFound} (${pct(recipientFound, bouncesFound)}) | |`,
    '',
    `first misses: ${misses.slice(0, Number(process.env.EVAL_MISSES ?? 15)).join('; ') || 'none'}`,
    '',
  ];
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2).filter((a) => a !== '--');
  if (dirs.length === 0) {
    process.stderr.write('usage: npm run eval -- <corpus-dir>... (e.g. ../shared/corpus/sisimai)\n');
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'mailroom-eval-'));
  try {
    for (const dir of dirs.map((d) => resolve(d))) {
      const name = basename(dir);
      if (name === 'sisimai') process.stdout.write(`${(await evalSisimai(dir, scratch)).join('\n')}\n`);
      else process.stdout.write(`## ${name}\n\nnot measured yet: its stage (forwards, reply text) is still to come\n\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();

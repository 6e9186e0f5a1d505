// npm run eval -- <corpus-dir>...
// Measures message understanding against the real corpora in ../shared/corpus,
// read in place (never copied into the project), and prints a table per corpus:
// bounces, auto-replies and feedback reports (sisimai), forwards
// (email-forward-parser), reply text (email_reply_trimmer, talon); and the
// project's own labelled sets: spoofing (fixtures/spoofing) and replies in
// many clients and languages (fixtures/replies).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { classify, readForwardBody } from '../src/classify/index.ts';
import { parseMessage } from '../src/parse/index.ts';
import { replyText } from '../src/reply/index.ts';
import { caseMessage, loadReplyCases, readerText } from './lib/reply-cases.ts';
import { evaluateSpoofing } from '../test/support/spoofing-eval.ts';

interface SisimaiCase {
  file: string;
  /** Per bounced recipient (reason "delivered" for a report of success); a string for the two mails that are not bounces. */
  expected: { reason: string; hardbounce: boolean; deliverystatus: string }[] | string;
}

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

/** Every measured figure with its floor (issue 3), for --check. */
const measured: { id: string; n: number; d: number; floor: number | null }[] = [];

/** A corpus's section: heading, table of rows, and the first misses to look at. */
function section(title: string, rows: string[], misses: string[], label = 'first misses'): string[] {
  return [
    `## ${title}`,
    '',
    '| measure | result | floor |',
    '|---|---:|---:|',
    ...rows,
    '',
    `${label}: ${misses.slice(0, Number(process.env.EVAL_MISSES ?? 15)).join('; ') || 'none'}`,
    '',
  ];
}

/** One table row; `floor` in percent (100 = all), null when none is set. */
function row(id: string, label: string, n: number, d: number, floor: number | null): string {
  measured.push({ id, n, d, floor });
  return `| ${label} | ${n}/${d} (${pct(n, d)}) | ${floor === null ? '' : floor === 100 ? 'all' : `${floor}%`} |`;
}

async function evalSisimai(dir: string, scratch: string): Promise<string[]> {
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: SisimaiCase[] };
  let bounces = 0,
    bouncesFound = 0,
    hardAgree = 0,
    hardCompared = 0,
    recipientFound = 0;
  let vacations = 0,
    vacationsFound = 0,
    feedback = 0,
    feedbackOk = 0,
    negatives = 0,
    negativesOk = 0;
  const misses: string[] = [];
  let done = 0;
  for (const c of cases) {
    const path = join(dir, c.file);
    if (!existsSync(path)) continue;
    // sisimai's files have LF line ends; SMTP would have delivered CRLF.
    const raw = Buffer.from(readFileSync(path, 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const result = classify(await parseMessage(raw, scratch), raw);
    // Not bounces: the non-bounce mails, and SES's delivery (success) notifications.
    if (typeof c.expected === 'string' || c.expected.every((e) => e.reason === 'delivered')) {
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
  return section(
    `sisimai (${cases.length} mails)`,
    [
      row('sisimai.bounces', 'bounces detected as bounce', bouncesFound, bounces, 95),
      row('sisimai.vacation', 'vacation replies detected as auto_reply', vacationsFound, vacations, 95),
      row('sisimai.feedback', 'feedback reports neither reply nor bounce', feedbackOk, feedback, 95),
      row('sisimai.hardSoft', 'hard/soft agreement on detected bounces', hardAgree, hardCompared, 85),
      row('sisimai.negatives', 'non-bounces not taken for bounces', negativesOk, negatives, 100),
      row('sisimai.recipient', 'failed recipient found on detected bounces', recipientFound, bouncesFound, null),
    ],
    misses,
  );
}

interface ForwardCase {
  id: string;
  body_file: string;
  subject_file: string | null;
  expected: Record<string, unknown>;
}

function evalForwards(dir: string): string[] {
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: ForwardCase[] };
  let senderOk = 0,
    subjectOk = 0,
    subjectCases = 0;
  const misses: string[] = [];
  for (const c of cases) {
    const body = readFileSync(join(dir, c.body_file), 'utf8');
    const subject = c.subject_file ? readFileSync(join(dir, c.subject_file), 'utf8').trim() : null;
    const got = readForwardBody(body, subject);
    const expectedForwarded = c.expected.forwarded !== false;
    const expectedFrom = (c.expected['email.from.address'] as string | undefined) ?? null;
    const ok = got.forwarded === expectedForwarded && (!expectedForwarded || expectedFrom === null || got.from === expectedFrom);
    if (ok) senderOk++;
    else misses.push(c.id);
    if (typeof c.expected['email.subject'] === 'string') {
      subjectCases++;
      if (got.subject === c.expected['email.subject']) subjectOk++;
    }
  }
  return section(
    `email-forward-parser (${cases.length} cases)`,
    [
      row('forwards.sender', 'forwarded detected (or not) and original sender exact', senderOk, cases.length, 97),
      row('forwards.subject', 'original subject exact', subjectOk, subjectCases, 90),
    ],
    misses,
  );
}

const squash = (text: string | null): string => (text ?? '').replace(/\r\n/g, '\n').trim();

function evalReplyTrimmer(dir: string): string[] {
  const names = readdirSync(join(dir, 'test/emails')).filter((n) => existsSync(join(dir, 'test/trimmed', n)));
  let ok = 0;
  const misses: string[] = [];
  for (const name of names) {
    const got = replyText(readFileSync(join(dir, 'test/emails', name), 'utf8'));
    if (squash(got) === squash(readFileSync(join(dir, 'test/trimmed', name), 'utf8'))) ok++;
    else misses.push(name);
  }
  return section(
    `email_reply_trimmer (${names.length} cases)`,
    [row('replies.trimmer', 'reply text exact after trimming whitespace', ok, names.length, 85)],
    misses,
  );
}

async function evalTalon(dir: string, scratch: string): Promise<string[]> {
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: { task: string; file: string; expected_reply?: string }[] };
  const plain = cases.filter((c) => c.task === 'plain_quote_removal' && typeof c.expected_reply === 'string');
  let ok = 0;
  const misses: string[] = [];
  for (const c of plain) {
    const raw = Buffer.from(readFileSync(join(dir, c.file), 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const parsed = await parseMessage(raw, scratch);
    if (squash(replyText(parsed.text)) === squash(c.expected_reply as string)) ok++;
    else misses.push(basename(c.file));
  }
  return section(`talon (${plain.length} standard replies)`, [row('replies.talon', 'reply text exact after strip', ok, plain.length, 80)], misses);
}

/** Exact / total per key, as "key 9/10" cells sorted by key. */
function breakdown(results: { key: string; ok: boolean }[]): string {
  const by = new Map<string, { ok: number; n: number }>();
  for (const r of results) {
    const t = by.get(r.key) ?? { ok: 0, n: 0 };
    t.n++;
    if (r.ok) t.ok++;
    by.set(r.key, t);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, t]) => `${k} ${t.ok}/${t.n}`)
    .join(', ');
}

/** The project's own labelled replies (fixtures/replies): exact reply text, per client and per language. */
async function evalReplies(dir: string, scratch: string): Promise<string[]> {
  const cases = loadReplyCases(dir);
  const results: { id: string; client: string; language: string; format: string; ok: boolean }[] = [];
  for (const c of cases) {
    const parsed = await parseMessage(caseMessage(c), scratch);
    results.push({ id: c.id, client: c.client, language: c.language, format: c.format, ok: readerText(replyText(parsed.text)) === readerText(c.expected) });
  }
  const ok = results.filter((r) => r.ok).length;
  const html = results.filter((r) => r.format === 'html');
  return [
    ...section(
      `own labelled replies (${cases.length} cases, ${new Set(cases.map((c) => c.language)).size} languages, ${new Set(cases.map((c) => c.client)).size} clients)`,
      [
        row('replies.own', 'reply text exact (as a reader sees it)', ok, cases.length, 90),
        row('replies.own.html', 'of them HTML-only', html.filter((r) => r.ok).length, html.length, null),
      ],
      results.filter((r) => !r.ok).map((r) => r.id),
    ),
    `by client: ${breakdown(results.map((r) => ({ key: r.client, ok: r.ok })))}`,
    '',
    `by language: ${breakdown(results.map((r) => ({ key: r.language, ok: r.ok })))}`,
    '',
  ];
}

interface DiscourseCase {
  file: string;
  category: string;
  expected: Record<string, unknown>;
}

/** Discourse's receiver fixtures: every expectation in its expected.json, one check each. */
async function evalDiscourse(dir: string, scratch: string): Promise<string[]> {
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: DiscourseCase[] };
  const checks: { name: string; ok: boolean }[] = [];
  for (const c of cases) {
    const raw = Buffer.from(readFileSync(join(dir, c.file), 'latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const parsed = await parseMessage(raw, scratch);
    const result = classify(parsed, raw);
    const e = c.expected;
    const name = basename(c.file);
    const check = (what: string, ok: boolean): void => void checks.push({ name: `${name}: ${what}`, ok });
    if (e.is_forwarded) {
      check('forwarded', result.forward !== null);
      if (typeof e.original_from === 'string') check('original sender', result.forward?.originalFrom?.address === e.original_from);
      if (typeof e.original_from_name === 'string') check('original sender name', result.forward?.originalFrom?.name === e.original_from_name);
      if (typeof e.forwarder === 'string') check('forwarder', (result.forward?.forwardedBy ?? parsed.from?.address) === e.forwarder);
      if (typeof e.forwarder_note_matches === 'string') check('note', (result.forward?.note ?? '').includes(e.forwarder_note_matches));
      if (e.forwarder_note === null) check('no note', !result.forward?.note);
    }
    if (e.has_rfc822_attachment) {
      check('attached message sender', result.forward?.originalFrom?.address === e.attached_message_from);
      check('attached message subject', result.forward?.originalSubject === e.attached_message_subject);
    }
    if (e.is_bounce) {
      check('bounce', result.kind === 'bounce');
      const dsn = (e.dsn as { final_recipient: string; status: string }[] | undefined) ?? [];
      if (dsn[0]) check('failed recipient and status', result.bounce?.recipient === dsn[0].final_recipient && result.bounce?.status === dsn[0].status);
      if (e.hard === true) check('hard', result.bounce?.hard === true);
    }
    if (e.is_auto_generated) check("automated (not a person's reply)", result.kind !== 'message');
    if (typeof e.reply_text_startswith === 'string' || typeof e.reply_text_endswith === 'string') {
      const text = replyText(parsed.text) ?? '';
      if (typeof e.reply_text_startswith === 'string') check('reply text start', text.startsWith(e.reply_text_startswith));
      if (typeof e.reply_text_endswith === 'string') check('reply text end', text.endsWith(e.reply_text_endswith));
    }
  }
  const ok = checks.filter((c) => c.ok).length;
  return section(
    `discourse (${cases.length} fixtures, ${checks.length} expectations)`,
    [row('discourse.expectations', 'expectations met', ok, checks.length, 100)],
    checks.filter((c) => !c.ok).map((c) => c.name),
    'unmet',
  );
}

async function evalSpoofing(dir: string, scratch: string): Promise<string[]> {
  const r = await evaluateSpoofing(dir, scratch);
  return section(
    `spoofing (${r.attacks.total + r.legitimate.total} labelled cases, fixtures/spoofing)`,
    [
      row('spoofing.attacks', 'attacks not filed under a candidate, with the expected reason', r.attacks.stopped, r.attacks.total, 100),
      row('spoofing.legitimate', 'authenticated mail still matched to its candidate', r.legitimate.matched, r.legitimate.total, 100),
    ],
    r.misses,
  );
}

/** --check: below any floor (but the waived ones) exits 1, naming each. */
function check(waived: readonly string[]): number {
  const below = measured.filter((m) => m.floor !== null && m.d > 0 && (100 * m.n) / m.d < m.floor);
  for (const m of below) {
    const state = waived.includes(m.id) ? 'below its floor, waived' : 'BELOW ITS FLOOR';
    process.stdout.write(`${m.id}: ${pct(m.n, m.d)} ${state} (${m.floor}%)\n`);
  }
  const failing = below.filter((m) => !waived.includes(m.id));
  process.stdout.write(failing.length === 0 ? 'eval: every enforced floor is met\n' : `eval: ${failing.length} floor(s) not met\n`);
  return failing.length === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { check: { type: 'boolean', default: false }, waive: { type: 'string', multiple: true, default: [] } },
    allowPositionals: true,
  });
  const dirs = positionals.filter((a) => a !== '--');
  if (dirs.length === 0) {
    process.stderr.write('usage: npm run eval -- [--check [--waive ID]...] <corpus-dir>... (e.g. ../shared/corpus/sisimai)\n');
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'mailroom-eval-'));
  try {
    for (const dir of dirs.map((d) => resolve(d))) {
      const name = basename(dir);
      let lines: string[];
      if (name === 'sisimai') lines = await evalSisimai(dir, scratch);
      else if (name === 'email-forward-parser') lines = evalForwards(dir);
      else if (name === 'email_reply_trimmer') lines = evalReplyTrimmer(dir);
      else if (name === 'talon') lines = await evalTalon(dir, scratch);
      else if (name === 'discourse') lines = await evalDiscourse(dir, scratch);
      else if (name === 'spoofing') lines = await evalSpoofing(dir, scratch);
      else if (name === 'replies') lines = await evalReplies(dir, scratch);
      else lines = [`## ${name}`, '', 'not measured yet', ''];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (values.check) process.exitCode = check(values.waive);
}

await main();

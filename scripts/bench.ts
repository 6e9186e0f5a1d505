// npm run bench [-- --quick] [--out FILE]
// Runs every benchmark (intake, pipeline, processing, match, relay, IMAP inbox intake, console pages, 250-to-webhook latency, API work's start, CLI start, intake under API load), each against its own
// baseline measured in the same run, and writes one Markdown report of their
// figures and ratios (default: bench-report.md). --quick runs CI-sized passes.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string', default: 'bench-report.md' } } });
const quick = values.quick;

const benches: { title: string; script: string; args: string[] }[] = [
  {
    title: 'Intake (durable SMTP acceptance)',
    script: 'bench:intake',
    args: quick ? ['--seconds', '1', '--rounds', '3'] : ['--seconds', '5', '--rounds', '3'],
  },
  {
    title: 'Pipeline (message understanding)',
    script: 'bench:pipeline',
    args: quick ? ['--seconds', '1', '--rounds', '3'] : ['--seconds', '5', '--rounds', '3'],
  },
  {
    title: 'Storage backends (SQLite, PostgreSQL with one node and three)',
    script: 'bench:backends',
    args: quick ? ['--seconds', '1', '--rounds', '1'] : ['--seconds', '3', '--rounds', '3'],
  },
  {
    title: 'Processing (first 250 to last message processed, next to a minimal pipeline)',
    script: 'bench:processing',
    args: quick ? ['--quick'] : ['--threads', '0,1,2'],
  },
  { title: 'Matching', script: 'bench:match', args: quick ? ['--candidates', '100000', '--tenants', '1000', '--lookups', '5000'] : [] },
  { title: 'Relay (sending through accounts)', script: 'bench:relay', args: quick ? ['--messages', '200', '--paced', '10'] : [] },
  { title: 'Inbox intake over IMAP', script: 'bench:inbox', args: quick ? ['--messages', '2000'] : [] },
  { title: 'Console pages', script: 'bench:console', args: quick ? ['--messages', '20000'] : [] },
  { title: 'From 250 to the webhook', script: 'bench:e2e', args: quick ? ['--messages', '10', '--burst', '100'] : [] },
  { title: 'CLI start', script: 'bench:cli', args: quick ? ['--runs', '3'] : [] },
  { title: 'Work started through the API (sends, assignments, dismissals)', script: 'bench:wake', args: quick ? ['--messages', '5'] : [] },
  {
    title: 'SMTP intake while the API is busy',
    script: 'bench:api-load',
    args: quick ? ['--seconds', '2', '--rounds', '1'] : ['--seconds', '5', '--rounds', '3'],
  },
];

const sections: string[] = [];
let failed = 0;
for (const bench of benches) {
  process.stderr.write(`\n== ${bench.title}: npm run ${bench.script} -- ${bench.args.join(' ')}\n`);
  const started = Date.now();
  const run = spawnSync('npm', ['run', '--silent', bench.script, '--', ...bench.args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failed++;
  // Each benchmark prints its own Markdown; its top heading becomes a section here.
  const body = (run.stdout ?? '').trim().replace(/^# (.*)$/m, '### $1');
  sections.push(
    `## ${bench.title}\n\n\`npm run ${bench.script} -- ${bench.args.join(' ')}\` (${seconds} s${run.status === 0 ? '' : `, exit ${run.status}`})\n\n${body || '(no output)'}\n`,
  );
}

const report = [
  `# mailroom benchmark report`,
  '',
  `${new Date().toISOString()}, node ${process.version}, ${quick ? 'quick (CI-sized) pass' : 'full pass'}. Every figure comes with its baseline measured in the same run; targets are shown, never asserted.`,
  '',
  ...sections,
].join('\n');
writeFileSync(values.out, report);
process.stdout.write(report);
process.stderr.write(`\nreport written to ${values.out}\n`);
process.exit(failed ? 1 : 0);

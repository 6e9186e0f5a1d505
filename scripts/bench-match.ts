// npm run bench:match [-- --candidates N --tenants N --lookups N]
// The matching decision against a large store: 1,000,000 candidate addresses in
// one tenant and 10,000 tenants, on a real SQLite file. Prints the p50/p99
// decision time per message and the query plans of every lookup (each must use
// an index: no SCAN of a table).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decide } from '../src/match/index.ts';
import { ReplyTokens } from '../src/match/tokens.ts';
import { MatchLookups, openDatabase, MessageStore } from '../src/store/index.ts';

const { values } = parseArgs({ options: { candidates: { type: 'string', default: '1000000' }, tenants: { type: 'string', default: '10000' }, lookups: { type: 'string', default: '20000' } } });
const candidateCount = Number(values.candidates);
const tenantCount = Number(values.tenants);
const lookups = Number(values.lookups);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-match-'));
const db = openDatabase(dir);
try {
  const at = new Date().toISOString();
  log(`creating ${tenantCount} tenants`);
  db.transaction(() => {
    const tenant = db.prepare('INSERT INTO tenants (slug, name, parent_id, created_at) VALUES (?, ?, NULL, ?)');
    const domain = db.prepare('INSERT INTO tenant_domains (tenant_id, domain) VALUES (?, ?)');
    const route = db.prepare(`INSERT INTO routes (tenant_id, kind, value, domain, created_at) VALUES (?, 'reply_domain', ?, ?, ?)`);
    for (let i = 1; i <= tenantCount; i++) {
      const id = Number(tenant.run(`t${i}`, `Tenant ${i}`, at).lastInsertRowid);
      domain.run(id, `t${i}.example`);
      route.run(id, `replies.t${i}.example`, `replies.t${i}.example`, at);
    }
  })();
  log(`creating ${candidateCount} candidates in tenant t1 (and a few in every other tenant)`);
  const insertCandidate = db.prepare('INSERT INTO candidates (tenant_id, external_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
  const insertEmail = db.prepare('INSERT INTO candidate_emails (candidate_id, tenant_id, email) VALUES (?, ?, ?)');
  const chunk = 50_000;
  for (let start = 0; start < candidateCount; start += chunk) {
    db.transaction(() => {
      for (let i = start; i < Math.min(candidateCount, start + chunk); i++) {
        const id = Number(insertCandidate.run(1, `c${i}`, `Candidate ${i}`, at, at).lastInsertRowid);
        insertEmail.run(id, 1, `person${i}@candidate.example`);
      }
    })();
    process.stderr.write(`\r  ${Math.min(candidateCount, start + chunk)}/${candidateCount}`);
  }
  process.stderr.write('\n');
  db.transaction(() => {
    for (let t = 2; t <= tenantCount; t++) {
      for (let k = 0; k < 3; k++) {
        const id = Number(insertCandidate.run(t, `c${k}`, `Other ${k}`, at, at).lastInsertRowid);
        insertEmail.run(id, t, `person${k}@candidate.example`);
      }
    }
  })();
  db.pragma('optimize');
  const messages = new MessageStore(db);
  messages.insertBatch(
    [{ id: 'BENCH', tenantId: 1, receivedAt: at, envelope: { sessionId: 's', clientIp: '127.0.0.1', clientPort: 1, helo: 'h', mailFrom: '', rcptTo: [], tls: null }, size: 1, raw: Buffer.from('x'), spoolFile: null }],
    Date.now(),
  );

  // Real tokens signed for conversations (that do not exist: the verify and lookup still run).
  const replyTokens = new ReplyTokens([{ kid: 'a', secret: randomBytes(32) }]);
  const match = new MatchLookups(db, () => replyTokens);
  const times: number[] = [];
  log(`${lookups} decisions`);
  for (let n = 0; n < lookups; n++) {
    const sender = `person${Math.floor(Math.random() * candidateCount * 1.1)}@candidate.example`; // ~10% unknown
    const t0 = performance.now();
    const tenant = match.tenantOfMessage('BENCH');
    if (!tenant) throw new Error('no tenant');
    decide({
      kind: 'message',
      from: sender,
      originalFrom: sender,
      forwardedBy: null,
      dmarc: 'pass',
      receivedCount: 3,
      tenantDomains: tenant.domains,
      isOwnAddress: tenant.isOwnAddress,
      candidatesFor: (address) => match.candidatesFor(tenant.chain, address),
      ownOutbound: match.ownOutbound(tenant.chain, `<own${n}@candidate.example>`),
      token: match.token(tenant.chain, [`careers+${replyTokens.issue(tenant.tenantId, n + 1)}@replies.t1.example`]),
      thread: match.thread(tenant.chain, [`<m${n}@candidate.example>`]),
      bounce: null,
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const pick = (p: number): number => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] as number;

  const plans = [
    ['message -> tenant', 'SELECT tenant_id FROM messages WHERE id = ?', ['BENCH']],
    ['tenant -> parent', 'SELECT parent_id FROM tenants WHERE id = ?', [1]],
    ['tenant domains', 'SELECT domain FROM tenant_domains WHERE tenant_id = ?', [1]],
    ['own address', 'SELECT kind FROM routes WHERE value = ?', ['x@replies.t1.example']],
    [
      'candidates by address',
      'SELECT c.id FROM candidates c JOIN tenants t ON t.id = c.tenant_id JOIN candidate_emails e ON e.candidate_id = c.id WHERE e.tenant_id = ? AND e.email = ? ORDER BY c.id',
      [1, 'person1@candidate.example'],
    ],
    ['candidate emails', 'SELECT email FROM candidate_emails WHERE candidate_id = ? ORDER BY email', [1]],
    ['thread (In-Reply-To/References)', 'SELECT c.id FROM messages m JOIN candidates c ON c.id = m.candidate_id WHERE m.tenant_id = ? AND m.message_id = ? LIMIT 1', [1, '<m1@candidate.example>']],
    ['thread (what we sent)', 'SELECT o.id FROM outbound_messages o JOIN tenants t ON t.id = o.tenant_id WHERE o.tenant_id = ? AND o.message_id = ?', [1, 'm1@candidate.example']],
    ['bounce by failed recipient', "SELECT o.id FROM outbound_messages o WHERE o.tenant_id = ? AND o.recipient = ? AND o.status = 'sent' ORDER BY o.sent_at DESC LIMIT 1", [1, 'person1@candidate.example']],
    ['token conversation', 'SELECT candidate_id FROM conversations WHERE id = ? AND tenant_id = ?', [1, 1]],
  ] as const;
  const out = [
    `# Match benchmark (${new Date().toISOString()}, ${candidateCount} candidate addresses in one tenant, ${tenantCount} tenants, ${lookups} decisions)`,
    '',
    `- decision time per message: p50 **${(pick(50) * 1000).toFixed(0)} µs**, p99 **${(pick(99) * 1000).toFixed(0)} µs** (target p99 < 1 ms: ${pick(99) < 1 ? 'met' : 'NOT met'})`,
    '',
    '| lookup | query plan |',
    '|---|---|',
  ];
  let scans = 0;
  for (const [name, sql, params] of plans) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    if (plan.some((d) => /^SCAN /.test(d) && !/USING (COVERING )?INDEX/.test(d))) scans++;
    out.push(`| ${name} | ${plan.join('; ')} |`);
  }
  out.push('', `- lookups scanning a table: ${scans} (every one must use an index)`);
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

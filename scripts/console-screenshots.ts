// node scripts/console-screenshots.ts [--out docs/images]
// Screenshots of the console's main pages for the docs, taken in Debian's
// Chromium (playwright-core) against a real server on loopback with a few
// messages received over SMTP: the unassigned queue, a message, the choices
// for a shared name, the next message after filing, a candidate's
// conversation, the accounts table and form; the queue, a message, the
// accounts and the outbound queue at a phone's width.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { chromium } from 'playwright-core';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/log.ts';
import { addAccount, addConsoleUser, completeSetup, EVERY_TENANT } from '../src/operations/index.ts';
import { createContext } from '../src/context.ts';
import { startServer } from '../src/server/server.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/images' } } });
const dir = mkdtempSync(join(tmpdir(), 'mailroom-screenshots-'));
writeFileSync(join(dir, 'zone.json'), '{}');
const config = configSchema.parse({
  data: { dir },
  dns: { zoneFile: join(dir, 'zone.json') },
  smtp: { host: '127.0.0.1', port: 0, hostname: 'mx.mailroom.example' },
  http: { host: '127.0.0.1', port: 0 },
  log: { level: 'silent' },
});
const ctx = await createContext(config, { log: createLogger('silent') });
await ctx.tenants.add({ slug: 'acme', name: 'Acme', domains: ['acme.com'], replyDomains: ['replies.acme.com'], forwardAddresses: [] });
await ctx.tenants.add({ slug: 'acme-berlin', name: 'Acme Berlin', parent: 'acme', domains: ['berlin.acme.com'], replyDomains: [], forwardAddresses: [] });
await ctx.candidates.upsert('acme', { externalId: 'c-1042', name: 'Jane Doe', emails: ['jane@candidate.example'] });
await ctx.candidates.upsert('acme', { externalId: 'c-1043', name: 'Jan Doe', emails: ['shared@family.example'] });
await ctx.candidates.upsert('acme', { externalId: 'c-1044', name: 'June Doe', emails: ['shared@family.example'] });
const server = await startServer(ctx);
const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.smtp.port, secure: false, ignoreTLS: true });
const mails = [
  { from: 'Jane Doe <jane.private@home.example>', subject: 'Re: Data Analyst interview', text: 'Hi Anna,\n\nTuesday at 10 works for me.\n\nJane' },
  { from: 'shared@family.example', subject: 'Application: Warehouse lead', text: 'Hello, please find my CV attached.' },
  {
    from: 'Recruiting news <news@jobs.example>',
    subject: 'Candidates for you this week',
    html: '<p>Our picks for you</p><img src="https://tracker.example/p.gif">',
  },
];
for (const mail of mails) await transport.sendMail({ to: 'careers@replies.acme.com', ...mail });
for (let i = 0; i < 100 && (await ctx.messages.list({ status: 'received', limit: 1 })).length > 0; i++) await new Promise((r) => setTimeout(r, 100));

const { account } = await addAccount(ctx, EVERY_TENANT, {
  tenant: 'acme',
  name: 'careers',
  provider: 'custom',
  host: 'smtp.office365.example',
  port: 587,
  security: 'starttls',
  username: 'careers@acme.com',
  credentials: { password: 'not-used-here' },
  from: 'careers@acme.com',
  replyTo: 'careers',
});
await ctx.accounts.setStatus(account.id, 'failing', 'resolve: queryA ENOTFOUND smtp.office365.example', new Date().toISOString());
const { setupToken } = await addConsoleUser(ctx, EVERY_TENANT, { tenant: 'acme', email: 'anna@acme.com', role: 'admin' });
await completeSetup(ctx, setupToken, 'correct horse battery staple');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const base = `http://127.0.0.1:${server.http?.port}`;
mkdirSync(values.out, { recursive: true });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=email]', 'anna@acme.com');
  await page.fill('input[name=password]', 'correct horse battery staple');
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(/unassigned/);
  const shoot = async (name: string, fullPage = false): Promise<void> => void (await page.screenshot({ path: join(values.out, `${name}.png`), fullPage }));
  await shoot('console-unassigned');
  await page.click('a:has-text("Warehouse lead")');
  await shoot('console-message', true);
  // A name that two candidates share: the choices, on the same page.
  await page.fill('#candidate', 'Doe');
  await page.click('button.primary');
  await page.waitForSelector('.choices');
  await shoot('console-message-choices');
  await page.click('.choices button:has-text("Jan Doe")');
  await page.waitForURL(/filed=/);
  await shoot('console-filed-next');
  await page.click('a:has-text("See the conversation")');
  await shoot('console-conversation');
  await page.goto(`${base}/console/accounts`);
  await shoot('console-accounts');
  await page.goto(`${base}/console/accounts/new`);
  await shoot('console-account-form', true);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, path] of [
    ['console-unassigned-phone', '/console/unassigned'],
    ['console-accounts-phone', '/console/accounts'],
    ['console-outbound-phone', '/console/outbound'],
  ] as const) {
    await page.goto(`${base}${path}`);
    await shoot(name, true);
  }
  await page.goto(`${base}/console/unassigned`);
  await page.click('a.subject');
  await page.waitForLoadState('load');
  await shoot('console-message-phone', true);
  process.stderr.write(`screenshots in ${values.out}\n`);
} finally {
  await browser.close();
  transport.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

// Every console page at a phone's width (390 px) and a desktop's (1440 px),
// signed out and in: nothing scrolls sideways, no control is cut off by a
// box it overflows, and axe-core (injected into the page) finds no serious or
// critical accessibility violation. The pages are the real ones, with data:
// waiting messages with suggestions and an attachment, a conversation with
// mail out, a failing account, an outbound queue, a webhook with deliveries.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, addConsoleUser, EVERY_TENANT, sendMessage } from '../../src/operations/index.ts';
import { deliverText, HAS_CHROMIUM, launchChromium, signedInPage } from '../helpers/console-browser.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDTHS = [
  { width: 390, height: 844 },
  { width: 1440, height: 900 },
];

let t: TestServer;
let browser: Browser;
let base: string;
let waiting: string;
let filed: string;
let accountId: number;
let webhookId: number;

/** What is wrong with the page as laid out: sideways scrolling, controls outside the boxes that clip them. */
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) problems.push('scrolls sideways: ' + root.scrollWidth + ' > ' + root.clientWidth);
  for (const el of document.querySelectorAll('a, button, input, select, textarea, th, td')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.closest('.sr, .skip, thead')) continue;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.overflowX === 'visible' && p !== document.body) continue;
      const box = p === document.body ? { right: root.clientWidth } : p.getBoundingClientRect();
      if (r.right > box.right + 1) { problems.push('cut off: ' + el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 40)); break; }
    }
  }
  return problems;
})()`;

async function check(page: Page, path: string): Promise<string[]> {
  const res = await page.goto(`${base}${path}`);
  expect(res?.status(), path).toBeLessThan(500);
  return audit(page, path);
}

/** The page as it stands: its layout problems and axe-core's serious or critical findings. */
async function audit(page: Page, path: string): Promise<string[]> {
  const problems = (await page.evaluate(LAYOUT_PROBLEMS)) as string[];
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(
    `axe.run(document, { iframes: false, resultTypes: ['violations'] }).then((r) => r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`,
  )) as string[];
  return [...problems, ...violations].map((p) => `${path} @${page.viewportSize()?.width}: ${p}`);
}

describe.skipIf(!HAS_CHROMIUM)('every console page on a phone and a desktop', () => {
  beforeAll(async () => {
    t = await startTestServer();
    base = `http://127.0.0.1:${t.server.http?.port}`;
    browser = await launchChromium();
    await t.ctx.candidates.upsert('acme', { externalId: 'c-jane', name: 'Jane Doe', emails: ['jane@candidate.example'] });
    const long = 'A rather long line of text that a candidate wrote without any break at all, '.repeat(4);
    waiting = await deliverText(t, 'careers@replies.acme.com', 'jane@candidate.example', 'Re: Interview on Tuesday at the Milan office', long);
    filed = await deliverText(t, 'careers@replies.acme.com', 'jane@candidate.example', 'Re: My portfolio', 'Portfolio attached.');
    await deliverText(t, 'careers@replies.acme.com', 'someone.with.a.very.long.address@subdomain.example-company.example', 'Hello', 'Who is this?');
    const { account } = await addAccount(t.ctx, EVERY_TENANT, {
      tenant: 'acme',
      name: 'office365-careers',
      provider: 'custom',
      host: 'smtp.office365.example',
      port: 587,
      security: 'starttls',
      username: 'careers@acme.com',
      credentials: { password: 'not-used-here' },
      from: 'careers@acme.com',
      replyTo: 'careers',
    });
    accountId = account.id;
    await t.ctx.accounts.setStatus(account.id, 'failing', 'resolve: queryA ENOTFOUND smtp.office365.example', new Date().toISOString());
    await sendMessage(t.ctx, EVERY_TENANT, {
      tenant: 'acme',
      accountId: account.id,
      to: 'jane@candidate.example',
      subject: 'Interview on Tuesday',
      text: 'Does 10 work?',
    });
    const acmeId = (await t.ctx.tenants.get('acme'))?.id as number;
    webhookId = (
      await t.ctx.webhooks.add(
        acmeId,
        'http://127.0.0.1:9/a/rather/long/path/to/the/platform/webhook/receiver',
        null,
        t.ctx.keyring().seal('whsec_x'),
        new Date().toISOString(),
      )
    ).id;
    await deliverText(t, 'careers@replies.acme.com', 'stranger@elsewhere.example', 'Announced to the webhook', 'hi');
    await waitFor(async () => (await t.ctx.webhooks.list())[0]?.pending !== undefined, 5000, 'the webhook listed');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('signed out: the sign-in and set-password pages', async () => {
    const { setupToken } = await addConsoleUser(t.ctx, EVERY_TENANT, { tenant: 'acme', email: 'new@acme.com', role: 'recruiter' });
    const problems: string[] = [];
    for (const viewport of WIDTHS) {
      const context = await browser.newContext({ viewport, bypassCSP: true });
      const page = await context.newPage();
      for (const path of ['/console/login', '/console/login?set=1', `/console/setup?token=${setupToken}`, '/console/setup?token=unknown'])
        problems.push(...(await check(page, path)));
      await context.close();
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('signed in: the queue, a message, a conversation, and the administrators’ pages', async () => {
    const recruiter = { tenant: 'acme', email: 'rosa@acme.com', role: 'recruiter' } as const;
    const page0 = await signedInPage(t, browser, recruiter);
    await page0.goto(`${base}/console/messages/${filed}`);
    await page0.fill('#candidate', 'c-jane');
    await page0.click('button.primary');
    await page0.waitForURL(/filed=/);
    await page0.context().close();
    const problems: string[] = [];
    for (const [i, viewport] of WIDTHS.entries()) {
      const page = await signedInPage(t, browser, { tenant: 'acme', email: `ada${i}@acme.com`, role: 'admin' }, { viewport, bypassCSP: true });
      const paths = [
        '/console/unassigned',
        `/console/messages/${waiting}`,
        `/console/messages/${filed}`,
        '/console/candidates/acme/c-jane',
        '/console/messages/01NOSUCHMESSAGE0000000000',
        '/console/accounts',
        '/console/accounts/new',
        `/console/accounts/${accountId}/edit`,
        `/console/accounts/${accountId}/remove`,
        '/console/outbound',
        '/console/webhooks',
        `/console/webhooks/${webhookId}`,
        '/console/checklist',
      ];
      for (const path of paths) problems.push(...(await check(page, path)));
      // A name that finds two candidates or none: the choices, on the same page.
      await page.goto(`${base}/console/messages/${waiting}`);
      await page.fill('#candidate', 'Nobody');
      await page.click('button.primary');
      await page.waitForSelector('.choices');
      problems.push(...(await audit(page, `/console/messages/${waiting} (choices)`)));
      await page.context().close();
    }
    expect(problems).toEqual([]);
    // The account's status in words, not the resolver's code.
    const admin = await signedInPage(t, browser, { tenant: 'acme', email: 'otto@acme.com', role: 'admin' });
    await admin.goto(`${base}/console/accounts`);
    expect(await admin.textContent('tbody')).toContain('Failing: The server name smtp.office365.example could not be found.');
    await admin.click('a:has-text("Remove")');
    expect(await admin.textContent('h1')).toBe('Remove the account “office365-careers”?');
    await admin.click('button:has-text("Remove “office365-careers”")');
    await expect(admin.textContent('[role=status]')).resolves.toContain('Removed the account “office365-careers” (careers@acme.com).');
    expect(await t.ctx.accounts.get(accountId)).toBeNull();
    await admin.context().close();
  }, 180_000);
});

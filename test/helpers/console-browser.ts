// What the console's browser tests share: Debian's Chromium driven by
// playwright-core, mail delivered over real SMTP, a console user signed in
// through the operations (the sign-in form's rate limit is tested on its own).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { addConsoleUser, completeSetup, EVERY_TENANT, signIn } from '../../src/operations/index.ts';
import type { ConsoleRole } from '../../src/store/index.ts';
import { RawSmtp, queuedId } from './raw-smtp.ts';
import { isProcessed, waitFor, type TestServer } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
if (!existsSync(CHROMIUM) && process.env.CI) throw new Error('Chromium is not installed (apt install chromium)');
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const PASSWORD = 'correct horse battery staple';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A plain-text message over SMTP (From: the address, or a header with a name), waited for until the pipeline processed it; its id. */
export async function deliverText(t: TestServer, rcpt: string, from: string, subject: string, text: string, fromHeader = from): Promise<string> {
  const c = await RawSmtp.connect(t.port);
  expect((await c.startData([rcpt], from))?.code).toBe(354);
  const id = Math.random().toString(36).slice(2);
  const body = `From: ${fromHeader}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@x>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n.`;
  const queued = queuedId(await c.command(body));
  c.close();
  await waitFor(async () => isProcessed((await t.ctx.messages.get(queued))?.status), 10_000, 'processed');
  return queued;
}

/** A new console user, signed in, in a page of its own (options: the viewport, bypassing the page policy for axe). */
export async function signedInPage(
  t: TestServer,
  browser: Browser,
  user: { tenant?: string; email: string; role: ConsoleRole },
  options: BrowserContextOptions = {},
): Promise<Page> {
  const { setupToken } = await addConsoleUser(t.ctx, EVERY_TENANT, user);
  await completeSetup(t.ctx, setupToken, PASSWORD);
  const sessionId = (await signIn(t.ctx, user.email, PASSWORD))?.sessionId ?? '';
  const context = await browser.newContext(options);
  await context.addCookies([{ name: 'mailroom_session', value: sessionId, domain: '127.0.0.1', path: '/console' }]);
  return context.newPage();
}

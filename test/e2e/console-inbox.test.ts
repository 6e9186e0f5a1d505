// The recruiter's inbox in a real browser against a real server: twenty
// waiting messages filed, fifteen with a suggestion (one click each) and five
// by the candidate search (at most three clicks each: the list as one types,
// the keyboard, choices on the same page with what was typed kept, an exact
// address, an unknown name then the external id); the notice names the
// subject and the candidate, and Undo puts the last one back; then the queue
// by keyboard (j, a, d, u, ?), unread in bold, the waiting count.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverText, HAS_CHROMIUM, launchChromium, signedInPage } from '../helpers/console-browser.ts';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let browser: Browser;
let base: string;
const RCPT = 'careers@replies.acme.com';

const SUGGESTED = Array.from({ length: 15 }, (_, i) => String(i + 1).padStart(2, '0'));
/** How each of the five unknown senders is found: the words typed, and how the choice is made. */
const BY_NAME = [
  { from: 'marco.private@home.example', subject: 'CV from my home address', typed: 'Marco Rossi', how: 'list', candidate: 'c-mr' },
  { from: 'anna@home.example', subject: 'Availability next week', typed: 'Anna Verdi', how: 'keys', candidate: 'c-av' },
  { from: 'mb.home@home.example', subject: 'Question about the role', typed: 'Marco', how: 'choices', candidate: 'c-mb' },
  { from: 'luca.other@home.example', subject: 'Portfolio link', typed: 'luca@neri.example', how: 'exact', candidate: 'c-ln' },
  { from: 'sofia@home.example', subject: 'Thank you', typed: 'Nobody Atall', how: 'unknown', candidate: 'c-sg' },
] as const;

async function waitingCount(page: Page): Promise<string> {
  return (await page.textContent('header .count')) ?? '';
}

describe.skipIf(!HAS_CHROMIUM)("the recruiter's inbox in a browser", () => {
  beforeAll(async () => {
    t = await startTestServer();
    base = `http://127.0.0.1:${t.server.http?.port}`;
    browser = await launchChromium();
    for (const n of SUGGESTED) await t.ctx.candidates.upsert('acme', { externalId: `c-${n}`, name: `Person ${n}`, emails: [`p${n}@candidate.example`] });
    const named = [
      ['c-mr', 'Marco Rossi', 'marco.rossi@candidate.example'],
      ['c-mb', 'Marco Bianchi', 'marco.bianchi@candidate.example'],
      ['c-av', 'Anna Verdi', 'anna.verdi@candidate.example'],
      ['c-ln', 'Luca Neri', 'luca@neri.example'],
      ['c-sg', 'Sofia Gallo', 'sofia.gallo@candidate.example'],
    ] as const;
    for (const [externalId, name, email] of named) await t.ctx.candidates.upsert('acme', { externalId, name, emails: [email] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
  });

  it('files twenty waiting messages: one click per suggestion, at most three by the search; Undo puts the last one back', async () => {
    const expected = new Map<string, string>();
    for (const [i, n] of SUGGESTED.entries()) {
      expected.set(await deliverText(t, RCPT, `p${n}@candidate.example`, `Re: Interview ${n}`, `Yes, Tuesday works. (${n})`), `c-${n}`);
      const byName = BY_NAME[i % 3 === 0 ? i / 3 : -1];
      if (byName) expected.set(await deliverText(t, RCPT, byName.from, byName.subject, 'Hello, it is me.'), byName.candidate);
    }
    expect(expected.size).toBe(20);
    const page = await signedInPage(t, browser, { tenant: 'acme', email: 'rita@acme.com', role: 'recruiter' });
    await page.goto(`${base}/console/unassigned`);
    expect(await waitingCount(page)).toBe('20');
    // Each row carries its suggestion, with why.
    const row = page.locator('tr[data-row]', { hasText: 'Re: Interview 07' });
    expect(await row.textContent()).toMatch(/File under Person 07 \(c-07\)\s*same address, not proven/);
    expect(await row.textContent()).toContain('Yes, Tuesday works. (07)');
    await page.click('tr[data-row] a.subject');

    const clicks = new Map<string, number>();
    for (let n = 0; n < 20; n++) {
      const id = new URL(page.url()).pathname.split('/').pop() as string;
      let count = 0;
      const click = async (selector: string): Promise<void> => {
        count++;
        await page.click(selector);
      };
      const subject = (await page.textContent('h1')) ?? '';
      const plan = BY_NAME.find((b) => b.subject === subject);
      const filed = page.waitForURL((u) => u.searchParams.get('filed') === id);
      if (!plan) {
        if (n === 0) {
          // Why it waits and the verdicts in words; the evidence only behind "Details"; times relative, the full time on hover.
          const main = (await page.textContent('main')) ?? '';
          expect(main).toMatch(/Person \d\d's address matched \(p\d\d@candidate\.example\), but candidate\.example publishes no DMARC/);
          expect(main).toContain('No DMARC policy: candidate.example publishes none.');
          expect(await page.isVisible('details pre')).toBe(false);
          expect(await page.textContent('main time')).toBe('just now');
          expect(await page.getAttribute('main time', 'title')).toMatch(/\d{4}/);
        }
        await click('form[data-first-suggestion] button');
      } else if (plan.how === 'list' || plan.how === 'keys') {
        await page.fill('#candidate', plan.typed);
        await page.waitForSelector(`[role=option]:has-text("${plan.typed}")`);
        if (plan.how === 'list') await click(`[role=option]:has-text("${plan.typed}")`);
        else {
          await page.press('#candidate', 'ArrowDown');
          await page.press('#candidate', 'Enter');
        }
      } else if (plan.how === 'exact') {
        await page.fill('#candidate', plan.typed);
        await click('button.primary');
      } else {
        // Several match, or none: the choices on the same page, what was typed kept.
        await page.fill('#candidate', plan.typed);
        await page.check('#remember');
        await click('button.primary');
        await page.waitForSelector('.choices');
        expect(await page.inputValue('#candidate')).toBe(plan.typed);
        expect(await page.isChecked('#remember')).toBe(true);
        if (plan.how === 'choices') {
          expect(await page.textContent('.choices')).toMatch(/“Marco” matches 2 candidates/);
          await click('.choices button:has-text("File under Marco Bianchi (c-mb)")');
        } else {
          expect(await page.textContent('.choices')).toContain('No candidate of acme matches “Nobody Atall”');
          await page.fill('#candidate', 'c-sg');
          await click('button.primary');
        }
      }
      await filed;
      clicks.set(id, count);
    }

    // Every message under the right candidate; the clicks counted.
    for (const [id, candidate] of expected) expect((await t.ctx.messages.get(id))?.decision?.candidate?.externalId, id).toBe(candidate);
    const suggestedClicks = [...clicks].filter(([id]) => /^c-\d\d$/.test(expected.get(id) ?? '')).map(([, c]) => c);
    expect(suggestedClicks).toEqual(Array(15).fill(1));
    const searchClicks = [...clicks].filter(([id]) => !/^c-\d\d$/.test(expected.get(id) ?? '')).map(([, c]) => c);
    expect(searchClicks).toHaveLength(5);
    expect(Math.max(...searchClicks)).toBeLessThanOrEqual(3);
    // The "remember" ticked before the choices: the address is the candidate's now.
    expect((await t.ctx.candidates.get('acme', 'c-mb'))?.emails).toContain('mb.home@home.example');

    // The last one filed: the notice names it, and Undo puts it back as it was.
    await page.waitForURL(/\/console\/unassigned\?filed=/);
    const last = new URL(page.url()).searchParams.get('filed') as string;
    const lastMessage = await t.ctx.messages.get(last);
    const lastCandidate = lastMessage?.decision?.candidate;
    expect(await page.textContent('[role=status]')).toContain(`Filed “${lastMessage?.subject}” under ${lastCandidate?.name} (${lastCandidate?.externalId}).`);
    expect(await page.textContent('main')).toContain('Nothing waits here.');
    expect(await waitingCount(page)).toBe('0');
    await page.click('#notice button:has-text("Undo")');
    await page.waitForURL(new RegExp(`/console/messages/${last}\\?undone=`));
    expect(await page.textContent('[role=status]')).toContain(`Undone: “${lastMessage?.subject}” waits again.`);
    expect(await waitingCount(page)).toBe('1');
    expect(await t.ctx.messages.get(last)).toMatchObject({ status: 'unassigned', decision: { reason: expect.any(String), method: null } });
    await page.context().close();
  }, 180_000);

  it('works the queue by keyboard, shows unread in bold, and undoes a filing that remembered an address', async () => {
    const dismissMe = await deliverText(t, RCPT, 'newsletter@spam.example', 'Weekly deals', 'Buy now.');
    const fileMe = await deliverText(t, RCPT, 'p01@candidate.example', 'Re: keyboard', 'Filed by a key.');
    const page = await signedInPage(t, browser, { tenant: 'acme', email: 'kai@acme.com', role: 'recruiter' });
    await page.goto(`${base}/console/unassigned`);
    const rows = page.locator('tr[data-row]');
    expect(await rows.nth(0).getAttribute('class')).toContain('unread');
    expect(await rows.nth(0).textContent()).toContain('Re: keyboard');
    await page.keyboard.press('?');
    await expect(page.locator('[role=dialog]').textContent()).resolves.toContain('file under the first suggestion');
    await page.keyboard.press('Escape');
    expect(await page.locator('[role=dialog]').count()).toBe(0);
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await page.waitForURL(/filed=/);
    expect((await t.ctx.messages.get(fileMe))?.decision?.candidate?.externalId).toBe('c-01');
    expect(await rows.nth(0).textContent()).toContain('Weekly deals');
    await page.keyboard.press('j');
    await page.keyboard.press('d');
    await page.waitForURL(new RegExp(`filed=${dismissMe}`));
    expect((await t.ctx.messages.get(dismissMe))?.status).toBe('dismissed');
    expect(await page.textContent('[role=status]')).toContain('Dismissed “Weekly deals”.');
    await page.keyboard.press('u');
    await page.waitForURL(/undone=/);
    expect((await t.ctx.messages.get(dismissMe))?.status).toBe('unassigned');

    // Opened, a message is read: the queue shows it so for this user only.
    await page.goto(`${base}/console/unassigned`);
    expect(await page.locator('tr[data-row]', { hasText: 'Weekly deals' }).getAttribute('class')).not.toContain('unread');
    const other = await signedInPage(t, browser, { tenant: 'acme', email: 'ola@acme.com', role: 'recruiter' });
    await other.goto(`${base}/console/unassigned`);
    expect(await other.locator('tr[data-row]', { hasText: 'Weekly deals' }).getAttribute('class')).toContain('unread');
    await other.context().close();

    // Filed with "remember": Undo forgets the address again.
    await page.goto(`${base}/console/messages/${dismissMe}`);
    await page.fill('#candidate', 'c-02');
    await page.check('#remember');
    await page.click('button.primary');
    await page.waitForURL(/filed=/);
    expect((await t.ctx.candidates.get('acme', 'c-02'))?.emails).toContain('newsletter@spam.example');
    await page.click('#notice button:has-text("Undo")');
    await waitFor(async () => (await t.ctx.messages.get(dismissMe))?.status === 'unassigned', 5000, 'undone');
    expect((await t.ctx.candidates.get('acme', 'c-02'))?.emails).toEqual(['p02@candidate.example']);

    // Without the script every page still works: a suggestion, and a name typed then "File".
    const plain = await signedInPage(t, browser, { tenant: 'acme', email: 'noscript@acme.com', role: 'recruiter' }, { javaScriptEnabled: false });
    const bare = await deliverText(t, RCPT, 'someone@home.example', 'No script here', 'Hello.');
    await plain.goto(`${base}/console/messages/${bare}`);
    expect(await plain.getAttribute('#candidate', 'role')).toBeNull();
    await plain.fill('#candidate', 'Sofia Gallo');
    await plain.click('button.primary');
    await plain.waitForURL(/filed=/);
    expect((await t.ctx.messages.get(bare))?.decision?.candidate?.externalId).toBe('c-sg');
    await plain.context().close();

    // Written from another address under a candidate's name: that candidate is suggested, and why.
    const private_ = await deliverText(t, RCPT, 'p03.home@home.example', 'From my phone', 'Sent from my phone.', 'Person 03 <p03.home@home.example>');
    await page.goto(`${base}/console/messages/${private_}`);
    expect(await page.textContent('form[data-first-suggestion]')).toMatch(/File under Person 03 \(c-03\)\s*same name, another address/);
    await page.context().close();
  }, 120_000);
});

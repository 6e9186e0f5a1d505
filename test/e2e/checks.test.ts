// `mailroom tenants check` against a zone file and local SMTP servers: a correct
// set-up is all ok; each broken piece is a fail (or warn) with the right advice;
// a forwarding hop that keeps the sender is a redirect, one that rewrites From
// is a forward; the known failure patterns are recognised.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTenant, type CheckReport } from '../../src/checks/index.ts';
import { addTestAccount } from '../helpers/accounts.ts';
import { makeSigner } from '../helpers/dkim.ts';
import { startProvider, type Provider } from '../helpers/provider.ts';
import { RawSmtp, queuedId } from '../helpers/raw-smtp.ts';
import { runCliAsync } from '../helpers/process.ts';
import { isProcessed, startTestServer, tempDir, waitFor, zoneFile, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

const signer = makeSigner('acme.com', 'mr1');
const zone = {
  'replies.acme.com': { MX: ['10 mx.mailroom.test'] },
  'acme.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  '_dmarc.acme.com': { TXT: ['v=DMARC1; p=reject; adkim=s'] },
  'mr1._domainkey.acme.com': { TXT: [signer.record] },
  // globex: everything a customer can get wrong.
  'replies.globex.com': { MX: ['10 mx.old-provider.example'] },
  'globex.com': { TXT: ['v=spf1 include:_spf.google.com ~all'] },
  'stale._domainkey.globex.com': { TXT: [makeSigner('globex.com', 'stale').record] },
};

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let provider: Provider;
  const byCheck = (report: CheckReport, subject: RegExp, check: string) => report.checks.find((c) => subject.test(c.subject) && c.check === check);
  const quiet = { sendTests: false, inboxes: [], progress: () => undefined };

  beforeAll(async () => {
    t = await startTestServer({
      backend,
      overrides: {
        dns: { zoneFile: zoneFile(tempDir(), zone) },
        checks: { mxHosts: 'mx.mailroom.test', sendingAddresses: '198.51.100.7', forwardingTimeoutMs: 15_000 },
      },
    });
    // The company inbox jobs@acme.com forwards to acme-jobs@in.mailroom.test: as a redirect
    // (the message as it was) or as a forward (a new message from the inbox).
    const forwardTo = 'acme-jobs@in.mailroom.test';
    const rewrite = (raw: string, inbox: string): string =>
      raw
        .replace(/^From: .*$/m, `From: ${inbox}`)
        .replace(/^Message-ID: .*$/im, `Message-ID: <fwd-${Math.random().toString(36).slice(2)}@acme.com>`)
        .replace(/^Subject: /m, 'Subject: Fwd: ');
    provider = await startProvider({
      secure: false,
      users: { 'recruiter@acme.com': 'app-password-1' },
      passOn: (mail) => {
        const inbox = mail.to[0] ?? '';
        if (inbox === 'jobs@acme.com') return { to: [forwardTo], raw: mail.raw };
        if (inbox === 'talent@acme.com') return { to: [forwardTo], raw: rewrite(mail.raw, inbox) };
        return { to: mail.to, raw: mail.raw };
      },
      deliverTo: (to) => (to.every((a) => a === forwardTo) ? t.port : null),
    });
  });
  afterAll(async () => {
    await t.cleanup();
    await provider.close();
  });

  describe('tenants check', () => {
    it('reports a correct set-up as all ok', async () => {
      await addTestAccount(t.ctx, provider, { name: 'main', isDefault: true, dkim: signer });
      const report = await checkTenant(t.ctx, (await t.ctx.tenants.get('acme'))!, quiet);
      expect(
        report.checks.filter((c) => c.status !== 'ok'),
        JSON.stringify(report.checks, null, 2),
      ).toEqual([]);
      expect(report.checks.map((c) => c.check)).toEqual([
        'MX points at mailroom',
        'SPF allows the sending server',
        'DKIM key published',
        'DMARC record',
        'connection test',
      ]);
      expect(report.accounts).toEqual([
        expect.objectContaining({ name: 'main (default)', owner: 'company', status: 'active', sendingMethod: expect.stringContaining('starttls password') }),
      ]);
    });

    it('says what is wrong with each broken piece, and what to do', async () => {
      const empty = await checkTenant(t.ctx, (await t.ctx.tenants.get('globex'))!, quiet);
      expect(byCheck(empty, /globex/, 'an email account is set up')).toMatchObject({
        status: 'fail',
        advice: expect.stringContaining('mailroom accounts add --tenant globex'),
      });
      expect(byCheck(empty, /replies\.globex\.com/, 'MX points at mailroom')).toMatchObject({
        status: 'fail',
        found: 'MX 10 mx.old-provider.example',
        advice: expect.stringContaining('replies.globex.com. MX 10 mx.mailroom.test.'),
      });

      const tenant = (await t.ctx.tenants.get('globex'))!;
      const base = await addTestAccount(t.ctx, provider, { tenant: 'globex', name: 'm365', password: 'wrong' });
      // An Office 365 account (so SPF must include Microsoft's), signing with a key that is not the one published.
      await t.ctx.sql
        .prepare(
          `UPDATE accounts SET provider = 'office365', from_address = 'recruiter@globex.com', sending_domain = 'globex.com', dkim_selector = 'stale' WHERE id = ?`,
        )
        .run(base.id);
      await t.ctx.sql
        .prepare('UPDATE accounts SET secret = ? WHERE id = ?')
        .run(t.ctx.keyring().seal(JSON.stringify({ password: 'wrong', dkimPrivateKey: makeSigner('globex.com').privateKey })), base.id);
      const report = await checkTenant(t.ctx, tenant, quiet);
      expect(byCheck(report, /globex\.com/, 'SPF allows the sending server')).toMatchObject({
        status: 'fail',
        advice: expect.stringContaining('include:spf.protection.outlook.com'),
      });
      expect(byCheck(report, /globex\.com/, 'DKIM key published')).toMatchObject({ status: 'fail', found: expect.stringContaining("not the account's") });
      expect(byCheck(report, /globex\.com/, 'DMARC record')).toMatchObject({ status: 'warn', advice: expect.stringContaining('_dmarc.globex.com') });
      expect(byCheck(report, /account/, 'connection test')).toMatchObject({
        status: 'fail',
        found: expect.stringContaining('auth failed: 535'),
        advice: expect.stringContaining('password'),
      });
      expect(byCheck(report, /globex/, 'a default account')).toMatchObject({ status: 'warn' });
      expect(report.ok).toBe(false);
    });

    it('recognises a forwarding confirmation still waiting, and Microsoft 365 refusing external forwarding', async () => {
      const deliver = async (rcpt: string, raw: string, from: string): Promise<void> => {
        const c = await RawSmtp.connect(t.port);
        expect((await c.startData([rcpt], from))?.code).toBe(354);
        const id = queuedId(await c.command(`${raw}.`));
        c.close();
        await waitFor(async () => isProcessed((await t.ctx.messages.get(id))?.status), 10_000, 'processed');
      };
      await deliver('acme-jobs@in.mailroom.test', readFileSync('fixtures/classify/gmail-verification.eml', 'latin1'), 'forwarding-noreply@google.com');
      const ndr = [
        'From: Microsoft Outlook <postmaster@acme.com>',
        'Subject: Undeliverable: Application',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Remote Server returned 550 5.7.520 Access denied, Your organization does not allow external forwarding.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; acme.mail.protection.outlook.com',
        '',
        'Final-Recipient: rfc822; acme-jobs@in.mailroom.test',
        'Action: failed',
        'Status: 5.7.520',
        'Diagnostic-Code: smtp; 550 5.7.520 Access denied, Your organization does not allow external forwarding',
        '',
        '--b--',
        '',
      ].join('\r\n');
      await deliver('careers@replies.acme.com', ndr, 'postmaster@acme.com');
      const report = await checkTenant(t.ctx, (await t.ctx.tenants.get('acme'))!, quiet);
      expect(byCheck(report, /acme-jobs/, 'forwarding confirmed')).toMatchObject({
        status: 'warn',
        advice: expect.stringMatching(/code 482913765.*https:\/\/mail-settings\.google\.com/),
      });
      expect(byCheck(report, /acme/, 'external forwarding allowed')).toMatchObject({ status: 'fail', advice: expect.stringContaining('Automatic forwarding') });
    });

    it('sends forwarding tests: a redirect keeps the sender, a forward rewrites it; reports auth after the hop and the delay (CLI, --json)', async () => {
      const result = await runCliAsync(['tenants', 'check', 'acme', '--send-tests', '--inbox', 'jobs@acme.com', '--inbox', 'talent@acme.com', '--json'], {
        ...t.cliEnv,
        MAILROOM_DNS_ZONE_FILE: t.ctx.config.dns.zoneFile,
        MAILROOM_CHECKS_MX_HOSTS: 'mx.mailroom.test',
        MAILROOM_CHECKS_FORWARDING_TIMEOUT_MS: '15000',
      });
      const report = JSON.parse(result.stdout) as CheckReport;
      expect(result.code).toBe(1); // earlier findings (the NDR) still fail
      const forJobs = report.checks.filter((c) => c.subject === 'jobs@acme.com');
      expect(forJobs.map((c) => [c.check, c.status])).toEqual([
        ['arrives at mailroom', 'ok'],
        ['sender kept (a redirect)', 'ok'],
        ['authentication after the hop', 'ok'],
      ]);
      expect(forJobs[0]?.found).toMatch(/arrived as \w+ after \d+\.\d s/);
      const forTalent = report.checks.filter((c) => c.subject === 'talent@acme.com');
      expect(forTalent.find((c) => c.check === 'sender kept (a redirect)')).toMatchObject({
        status: 'fail',
        found: expect.stringContaining('From talent@acme.com'),
        advice: expect.stringContaining('Redirect to'),
      });
    });
  });
});

// Webhook endpoints through the interfaces strangers and operators use: the
// API (any tenant token) and the CLI refuse private targets with a clear
// error naming the rule, and cap the endpoints per tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.ts';
import { startTestServer, tempDir, zoneFile, type TestServer } from '../helpers/server.ts';
import { BACKENDS } from '../helpers/server.ts';

describe.each(BACKENDS)('on %s', (backend) => {
  let t: TestServer;
  let token: string;
  let zone: string;
  beforeAll(async () => {
    zone = zoneFile(tempDir(), {
      'hooks.example.com': { A: ['192.0.2.80'] },
      'rebind.example.com': { A: ['127.0.0.1'] },
      'v6.example.com': { AAAA: ['fe80::1'] },
    });
    t = await startTestServer({ backend, overrides: { webhooks: { allowPrivateNetworks: false, maxPerTenant: 3 }, dns: { zoneFile: zone } } });
    token = (await t.ctx.apiTokens.create((await t.ctx.tenants.get('acme'))!.id, 'ats', new Date().toISOString())).token;
  });
  afterAll(() => t.cleanup());

  async function addByApi(url: string): Promise<{ status: number; body: { detail?: string; type?: string } }> {
    const response = await fetch(`http://127.0.0.1:${t.server.http!.port}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
    return { status: response.status, body: (await response.json()) as { detail?: string; type?: string } };
  }

  describe('webhook targets', () => {
    it.each([
      ['http://127.0.0.1:9/hook', /loopback/],
      ['http://localhost/hook', /loopback/],
      ['http://[::1]/hook', /loopback/],
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://10.0.0.1/hook', /RFC 1918/],
      ['http://192.168.1.1/hook', /RFC 1918/],
      ['https://rebind.example.com/hook', /rebind\.example\.com resolves to 127\.0\.0\.1/],
      ['https://v6.example.com/hook', /link-local \(fe80/],
      ['http://hooks.example.com/hook', /must be https/],
    ])('the API refuses %s', async (url, why) => {
      const { status, body } = await addByApi(url);
      expect(status).toBe(422);
      expect(body.type).toBe('urn:mailroom:problem:refused');
      expect(body.detail).toMatch(why);
    });

    it('the CLI refuses a private target too, naming the rule', () => {
      const result = runCli(['webhooks', 'add', '--tenant', 'acme', '--url', 'http://169.254.169.254/latest'], {
        ...t.cliEnv,
        MAILROOM_DNS_ZONE_FILE: zone,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/refused: webhook URL http:\/\/169\.254\.169\.254 is on a link-local .*webhooks\.allowPrivateNetworks/);
    });

    it('takes public https endpoints up to webhooks.maxPerTenant', async () => {
      for (const n of [1, 2, 3]) expect((await addByApi(`https://hooks.example.com/h${n}`)).status).toBe(201);
      const fourth = await addByApi('https://hooks.example.com/h4');
      expect(fourth.status).toBe(422);
      expect(fourth.body.detail).toMatch(/webhooks\.maxPerTenant/);
    });
  });
});

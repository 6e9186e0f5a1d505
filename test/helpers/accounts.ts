// Sending accounts for tests: an account on a local provider (test/helpers/provider.ts),
// its secret sealed with the server's own keyring.
import type { Context } from '../../src/context.ts';
import type { Account } from '../../src/store/index.ts';
import type { TestSigner } from './dkim.ts';
import type { Provider } from './provider.ts';

export async function addTestAccount(
  ctx: Context,
  p: Provider,
  over: {
    tenant?: string;
    name: string;
    password?: string;
    security?: 'tls' | 'starttls';
    isDefault?: boolean;
    oauth2?: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string };
    dkim?: TestSigner;
  },
): Promise<Account> {
  const tenant = (await ctx.tenants.get(over.tenant ?? 'acme'))!;
  const secret = {
    ...(over.oauth2 ? { oauth2: over.oauth2 } : { password: over.password ?? 'app-password-1' }),
    ...(over.dkim ? { dkimPrivateKey: over.dkim.privateKey } : {}),
  };
  return await ctx.accounts.add(
    {
      tenantId: tenant.id,
      name: over.name,
      provider: 'custom',
      host: '127.0.0.1',
      port: p.port,
      security: over.security ?? 'starttls',
      tlsCa: p.ca,
      username: 'recruiter@acme.com',
      authMethod: over.oauth2 ? 'oauth2' : 'password',
      sealedSecret: ctx.keyring().seal(JSON.stringify(secret)),
      fromAddress: 'recruiter@acme.com',
      fromName: 'Acme Recruiting',
      sendingDomain: 'acme.com',
      dkimSelector: over.dkim?.selector ?? null,
      replyLocal: 'careers',
      owner: null,
      isDefault: over.isDefault ?? false,
      delayMs: 0,
      perMinute: 0,
      perDay: 0,
    },
    new Date().toISOString(),
  );
}

// DNS checks of a customer's set-up, through the injected resolver (a zone
// file offline and in tests): reply domains' MX, and the sending domains' SPF,
// DKIM and DMARC as the way mailroom sends will meet them.
import { createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { spf as mailauthSpf } from 'mailauth';
import type { DnsResolver } from '../dns/index.ts';
import { PROVIDERS, isProvider } from '../relay/providers.ts';
import type { Account } from '../store/index.ts';
import { fail, ok, warn, type CheckResult } from './types.ts';

const MISSING = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

const require = createRequire(import.meta.url);
/**
 * mailauth's SPF check alone, loaded when a check runs: the package's index loads BIMI, its HTTP client and
 * certificate parsers too, ~10 MB of the server's main thread held from the start for a check run now and then.
 */
const spf: typeof mailauthSpf = (options) => (require('mailauth/lib/spf') as { spf: typeof mailauthSpf }).spf(options);

/** Records of a type, or [] when there are none; a temporary failure is thrown. */
async function lookup<T>(resolver: DnsResolver, name: string, type: string): Promise<T[]> {
  try {
    return (await resolver(name, type)) as T[];
  } catch (err) {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

export async function txtRecords(resolver: DnsResolver, name: string): Promise<string[]> {
  return (await lookup<string[] | string>(resolver, name, 'TXT')).map((r) => (Array.isArray(r) ? r.join('') : r));
}

const host = (name: string): string => name.toLowerCase().replace(/\.$/, '');

export async function checkReplyDomain(resolver: DnsResolver, domain: string, mxHosts: readonly string[]): Promise<CheckResult[]> {
  const ours = mxHosts.map(host);
  const wanted = ours.map((h, i) => `${domain}. MX ${(i + 1) * 10} ${h}.`).join(' and ');
  const results: CheckResult[] = [];
  const cname = await lookup<string>(resolver, domain, 'CNAME');
  if (cname.length > 0) {
    results.push(
      fail(
        'reply_domain',
        domain,
        'no CNAME',
        `CNAME ${cname.join(', ')}`,
        `a CNAME on ${domain} hides its MX records: remove the CNAME and publish ${wanted}`,
      ),
    );
  }
  const mx = (await lookup<{ exchange: string; priority: number }>(resolver, domain, 'MX')).sort((a, b) => a.priority - b.priority);
  if (mx.length === 0) {
    results.push(fail('reply_domain', domain, 'MX points at mailroom', 'no MX record', `replies cannot reach mailroom: publish ${wanted}`));
    return results;
  }
  const found = mx.map((r) => `${r.priority} ${host(r.exchange)}`).join(', ');
  const foreign = mx.filter((r) => !ours.includes(host(r.exchange)));
  if (foreign.length === mx.length) {
    results.push(
      fail(
        'reply_domain',
        domain,
        'MX points at mailroom',
        `MX ${found}`,
        `the MX of ${domain} points elsewhere, so replies never reach mailroom: replace it with ${wanted}`,
      ),
    );
  } else if (foreign.length > 0) {
    results.push(
      warn(
        'reply_domain',
        domain,
        'MX points at mailroom',
        `MX ${found}`,
        `some replies may be delivered to ${foreign.map((r) => host(r.exchange)).join(', ')} instead of mailroom: remove those MX records`,
      ),
    );
  } else results.push(ok('reply_domain', domain, 'MX points at mailroom', `MX ${found}`));
  return results;
}

/** Every domain an SPF record includes, following includes a few levels deep. */
async function spfIncludes(resolver: DnsResolver, record: string, depth = 0, seen = new Set<string>()): Promise<Set<string>> {
  for (const [, domain] of record.matchAll(/\binclude:([^\s]+)/gi)) {
    const name = host(domain as string);
    if (seen.has(name)) continue;
    seen.add(name);
    if (depth < 3) {
      const nested = (await txtRecords(resolver, name)).find((r) => /^v=spf1\b/i.test(r));
      if (nested) await spfIncludes(resolver, nested, depth + 1, seen);
    }
  }
  return seen;
}

/** The SPF mechanism that allows a server: ip4:/ip6: for an address (RFC 7208 5.6), a: for a name. */
export function spfMechanism(server: string): string {
  const version = isIP(server);
  return version === 4 ? `ip4:${server}` : version === 6 ? `ip6:${server}` : `a:${server}`;
}

export async function checkSpf(resolver: DnsResolver, account: Account): Promise<CheckResult> {
  const domain = account.fromAddress.slice(account.fromAddress.indexOf('@') + 1);
  const records = (await txtRecords(resolver, domain)).filter((r) => /^v=spf1\b/i.test(r));
  const preset = isProvider(account.provider) ? PROVIDERS[account.provider] : null;
  const suggestion = preset?.spfInclude ? `include:${preset.spfInclude}` : spfMechanism(account.host);
  if (records.length === 0)
    return fail('sending_domain', domain, 'SPF allows the sending server', 'no SPF record', `publish ${domain}. TXT "v=spf1 ${suggestion} ~all"`);
  if (records.length > 1)
    return fail(
      'sending_domain',
      domain,
      'SPF allows the sending server',
      `${records.length} SPF records`,
      'two SPF records make SPF fail (permerror) everywhere: merge them into one',
    );
  const record = records[0] as string;
  if (preset?.spfInclude) {
    const includes = await spfIncludes(resolver, record);
    return includes.has(preset.spfInclude)
      ? ok('sending_domain', domain, 'SPF allows the sending server', record)
      : fail(
          'sending_domain',
          domain,
          'SPF allows the sending server',
          record,
          `mail sent through ${account.provider} will fail SPF: add ${suggestion} to the record, before its "all"`,
        );
  }
  // A custom server: evaluate the record for its address, as a receiver would.
  const address = isIP(account.host) ? account.host : ((await lookup<string>(resolver, account.host, 'A'))[0] ?? null);
  if (!address)
    return warn(
      'sending_domain',
      domain,
      'SPF allows the sending server',
      record,
      `${account.host} has no A record here, so SPF could not be evaluated: check that the record allows it`,
    );
  const result = await spf({ sender: account.fromAddress, ip: address, helo: account.host, mta: 'mailroom', resolver } as Parameters<typeof spf>[0]);
  const verdict = result.status.result;
  return verdict === 'pass'
    ? ok('sending_domain', domain, 'SPF allows the sending server', `${record} (pass for ${address})`)
    : fail(
        'sending_domain',
        domain,
        'SPF allows the sending server',
        `${record} (${verdict} for ${address})`,
        `add ${isIP(account.host) ? spfMechanism(address) : `${spfMechanism(address)} or a:${account.host}`} to the SPF record of ${domain}, before its "all"`,
      );
}

export async function checkDkim(resolver: DnsResolver, account: Account, privateKey: string | null): Promise<CheckResult | null> {
  if (!account.dkimSelector) return null;
  const name = `${account.dkimSelector}._domainkey.${account.sendingDomain}`;
  const record = (await txtRecords(resolver, name)).find((r) => /\bp=/.test(r));
  const ours = privateKey ? createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64') : null;
  const published = /\bp=([A-Za-z0-9+/=\s]+)/.exec(record ?? '')?.[1]?.replace(/\s/g, '') ?? null;
  if (!record || !published)
    return fail(
      'sending_domain',
      account.sendingDomain,
      'DKIM key published',
      `no DKIM key at ${name}`,
      `publish ${name}. TXT "v=DKIM1; k=rsa; p=${ours ?? '<public key>'}"`,
    );
  if (ours && published !== ours)
    return fail(
      'sending_domain',
      account.sendingDomain,
      'DKIM key published',
      `the key at ${name} is not the account's`,
      `replace it with "v=DKIM1; k=rsa; p=${ours}"`,
    );
  return ok('sending_domain', account.sendingDomain, 'DKIM key published', `${name} matches the account's key`);
}

export async function checkDmarc(resolver: DnsResolver, account: Account): Promise<CheckResult> {
  const fromDomain = account.fromAddress.slice(account.fromAddress.indexOf('@') + 1);
  const record = (await txtRecords(resolver, `_dmarc.${fromDomain}`)).find((r) => /^v=DMARC1\b/i.test(r));
  if (!record) {
    return warn(
      'sending_domain',
      fromDomain,
      'DMARC record',
      'no DMARC record',
      `publish _dmarc.${fromDomain}. TXT "v=DMARC1; p=none; rua=mailto:dmarc@${fromDomain}" to see who sends as ${fromDomain}`,
    );
  }
  const tag = (name: string): string | null => new RegExp(`\\b${name}=([^;\\s]+)`, 'i').exec(record)?.[1]?.toLowerCase() ?? null;
  // mailroom signs with d=<sending domain>: strict alignment needs it to be the From domain exactly.
  if (tag('adkim') === 's' && account.dkimSelector && account.sendingDomain !== fromDomain) {
    return fail(
      'sending_domain',
      fromDomain,
      'DMARC alignment',
      record,
      `adkim=s needs DKIM d=${fromDomain}, but the account signs as ${account.sendingDomain}: use --sending-domain ${fromDomain}, or relax to adkim=r`,
    );
  }
  return ok('sending_domain', fromDomain, 'DMARC record', record);
}

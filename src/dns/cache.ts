// A small cache in front of the system resolver: a busy MX asks about the same
// few domains (gmail.com, outlook.com, a customer's domain) all day. Answers and
// "no such record" are kept for a while; temporary failures never are, so a
// retried job asks again.
import { TEMPORARY_DNS_CODES, type DnsResolver } from './types.ts';

export interface DnsCacheOptions {
  /** How long an answer is reused (DNS TTLs are not visible through this API). */
  ttlMs: number;
  /** How long "does not exist" is reused. */
  negativeTtlMs: number;
  maxEntries: number;
  nowMs?: () => number;
}

interface Entry {
  until: number;
  value?: unknown;
  error?: unknown;
}

export function cachingResolver(inner: DnsResolver, options: DnsCacheOptions): DnsResolver {
  const entries = new Map<string, Entry>();
  const now = options.nowMs ?? Date.now;
  const remember = (key: string, entry: Entry): void => {
    if (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string); // oldest first
    entries.set(key, entry);
  };
  return async (name, rrtype) => {
    const key = `${rrtype.toUpperCase()} ${name.toLowerCase()}`;
    const cached = entries.get(key);
    if (cached && cached.until > now()) {
      if ('error' in cached) throw cached.error;
      return cached.value;
    }
    entries.delete(key);
    try {
      const value = await inner(name, rrtype);
      remember(key, { until: now() + options.ttlMs, value });
      return value;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!TEMPORARY_DNS_CODES.has(code)) remember(key, { until: now() + options.negativeTtlMs, error: err });
      throw err;
    }
  };
}

// A DNS resolver answering from a static JSON zone file, for offline runs and
// tests (config dns.zoneFile). The format:
//   {"example.org": {"TXT": ["v=spf1 -all"], "MX": ["10 mx.example.org"], "A": ["192.0.2.1"]},
//    "_dmarc.example.org": {"TXT": ["v=DMARC1; p=reject"]}}
// Names are lower-case without the trailing dot. A name that is not in the file
// does not exist (ENOTFOUND); a type that is not there has no data (ENODATA).
// A type whose value is the string "SERVFAIL" or "TIMEOUT" fails temporarily, so
// tests can show that such a message is retried instead of judged.
import { readFileSync } from 'node:fs';
import type { DnsResolver } from './types.ts';

type Zone = Record<string, Record<string, string[] | 'SERVFAIL' | 'TIMEOUT'>>;

export class ZoneFileError extends Error {
  override name = 'ZoneFileError';
}

function dnsError(code: string, name: string, rrtype: string): NodeJS.ErrnoException {
  // "No such record" is the common answer; its stack trace would cost more than the lookup.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err: NodeJS.ErrnoException = new Error(`${rrtype} ${name}: ${code}`);
  Error.stackTraceLimit = limit;
  err.code = code;
  return err;
}

export function parseZone(text: string, source: string): Zone {
  let zone: unknown;
  try {
    zone = JSON.parse(text);
  } catch (err) {
    throw new ZoneFileError(`dns.zoneFile ${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof zone !== 'object' || zone === null || Array.isArray(zone)) throw new ZoneFileError(`dns.zoneFile ${source}: expected an object of names`);
  for (const [name, types] of Object.entries(zone)) {
    if (typeof types !== 'object' || types === null || Array.isArray(types))
      throw new ZoneFileError(`dns.zoneFile ${source}: "${name}" must map record types to lists`);
    for (const [type, values] of Object.entries(types)) {
      const ok = values === 'SERVFAIL' || values === 'TIMEOUT' || (Array.isArray(values) && values.every((v) => typeof v === 'string'));
      if (!ok) throw new ZoneFileError(`dns.zoneFile ${source}: "${name}" ${type} must be a list of strings`);
    }
  }
  return zone as Zone;
}

export function zoneResolver(zone: Zone): DnsResolver {
  const byName = new Map(
    Object.entries(zone).map(([name, types]) => [name.toLowerCase().replace(/\.$/, ''), new Map(Object.entries(types).map(([t, v]) => [t.toUpperCase(), v]))]),
  );
  // The zone never changes, so neither does a failure: each is made once, as a
  // caching resolver would keep it (most lookups of a message find nothing).
  const failures = new Map<string, NodeJS.ErrnoException>();
  const failure = (code: string, name: string, rrtype: string): NodeJS.ErrnoException => {
    const key = `${code} ${rrtype} ${name}`;
    let err = failures.get(key);
    if (!err) {
      err = dnsError(code, name, rrtype);
      if (failures.size < 10_000) failures.set(key, err);
    }
    return err;
  };
  return async (name, rrtype) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    const types = byName.get(key);
    if (!types) throw failure('ENOTFOUND', name, rrtype);
    const values = types.get(rrtype.toUpperCase());
    if (values === undefined) throw failure('ENODATA', name, rrtype);
    if (values === 'SERVFAIL') throw failure('ESERVFAIL', name, rrtype);
    if (values === 'TIMEOUT') throw failure('ETIMEOUT', name, rrtype);
    switch (rrtype.toUpperCase()) {
      case 'TXT':
        // Long TXT records arrive in chunks; a record here is one chunk.
        return values.map((v) => [v]);
      case 'MX':
        return values.map((v) => {
          const [priority, exchange] = v.trim().split(/\s+/);
          return { priority: Number(priority), exchange: exchange ?? '' };
        });
      default:
        return values;
    }
  };
}

export function loadZoneFile(path: string): DnsResolver {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ZoneFileError(`dns.zoneFile ${path}: cannot read it (${(err as Error).message})`);
  }
  return zoneResolver(parseZone(text, path));
}

// DKIM verification with mailauth's verifier, plus what it lacks for a server:
// parsed public keys kept between messages. mailauth reads a key record into a
// KeyObject, exports it as PEM and asks for its modulus length for every
// message, and crypto.verify parses that PEM again (a fifth of the pipeline's
// time on signed mail, docs/architecture.md), though the same few keys (a
// provider's current selector) sign most mail.
//
// The cache is keyed by the DNS answer itself, not the name: a key that changes
// or is revoked in DNS is read afresh as soon as the resolver (and its TTL-bound
// cache) returns the new record, and an answer is parsed exactly as mailauth's
// getPublicKey parses it (it is called with that answer). Failures are not kept.
// mailauth's dkimVerify does nothing but what verifyDkim below does with the
// verifier; its per-message key cache is replaced by one backed by this. Two of
// its byte-at-a-time walks are skipped where the result is known: the bare-LF
// rewrite of bytes that have none, and the search for the end of the header.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type { DnsResolver } from '../dns/index.ts';

interface KeyOptions {
  strict?: boolean;
  hashAlgo?: string;
}
interface PublicKeyInfo {
  /** PEM from getPublicKey; a KeyObject in the cache (see readyKey). */
  publicKey: string | KeyObject;
  warnings?: string[];
}
interface KeyCache {
  resolver: DnsResolver;
  get(type: string, name: string, minBitLength: number | undefined, options?: KeyOptions): Promise<PublicKeyInfo>;
}
interface Verifier extends Writable {
  keyCache: KeyCache;
  /** Rewrites bare LF to CRLF, a byte at a time in JavaScript, before anything else sees the bytes. */
  ensureLinebreaks(input: Buffer): Iterable<Buffer>;
  /** Takes the header block (up to and including its blank line); what is written afterwards is body. */
  emitHeaders(header: Buffer): Promise<void>;
  arc: object;
  headerFrom: unknown;
  fromFields: unknown;
  envelopeFrom: string | false;
  results: unknown;
  headers?: unknown;
}

const require = createRequire(import.meta.url);
const { DkimVerifier } = require('mailauth/lib/dkim/dkim-verifier') as { DkimVerifier: new (options: object) => Verifier };
const tools = require('mailauth/lib/tools') as {
  getPublicKey(type: string, name: string, minBitLength: number | undefined, resolver: DnsResolver, options?: KeyOptions): Promise<PublicKeyInfo>;
  toALabel(name: string): string;
  writeToStream(stream: Writable, input: Buffer): Promise<void>;
};

/** Distinct key records kept; a server sees a few hundred senders' selectors. */
const MAX_KEYS = 2000;
const parsedKeys = new Map<string, PublicKeyInfo>();

function copy(info: PublicKeyInfo): PublicKeyInfo {
  return { ...info, ...(info.warnings ? { warnings: [...info.warnings] } : {}) };
}

async function publicKey(
  type: string,
  name: string,
  minBitLength: number | undefined,
  resolver: DnsResolver,
  options: KeyOptions = {},
): Promise<PublicKeyInfo> {
  const answer = await resolver(tools.toALabel(name), 'TXT');
  const key = JSON.stringify([type, minBitLength ?? null, Boolean(options.strict), options.hashAlgo ?? null, answer]);
  const known = parsedKeys.get(key);
  if (known) return copy(known);
  const info = readyKey(await tools.getPublicKey(type, name, minBitLength, () => Promise.resolve(answer), options));
  if (parsedKeys.size >= MAX_KEYS) parsedKeys.delete(parsedKeys.keys().next().value as string);
  parsedKeys.set(key, info);
  return copy(info);
}

/**
 * The verifier hands publicKey to crypto.verify, which parses a PEM string on
 * every call (~25 µs); a KeyObject is parsed once. Its toString gives the PEM
 * back, which is what mailauth puts in a signature's result.
 */
function readyKey(info: PublicKeyInfo): PublicKeyInfo {
  const pem = String(info.publicKey);
  const keyObject = createPublicKey(pem);
  Object.defineProperty(keyObject, 'toString', { value: () => pem });
  return { ...info, publicKey: keyObject };
}

/** One message's key lookups, as mailauth's createKeyCache: the same question is asked once per message. */
function keyCacheFor(resolver: DnsResolver): KeyCache {
  const lookups = new Map<string, Promise<PublicKeyInfo>>();
  return {
    resolver,
    get(type, name, minBitLength, options = {}) {
      const key = [Boolean(options.strict), minBitLength ?? '', options.hashAlgo ?? '', name].join(':');
      let lookup = lookups.get(key);
      if (!lookup) {
        lookup = publicKey(type, name, minBitLength, resolver, options);
        lookup.catch(() => undefined); // reported to whoever awaits it
        lookups.set(key, lookup);
      }
      return lookup;
    },
  };
}

export interface DkimVerification {
  results: unknown;
  headerFrom: unknown;
  fromFields: unknown;
  envelopeFrom: string | false;
  headers?: unknown;
  arc?: unknown;
}

/** True when every LF follows a CR: what SMTP delivers (the listener refuses a bare LF or CR in DATA). */
function crlfOnly(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) if (at === 0 || bytes[at - 1] !== 0x0d) return false;
  return true;
}

/**
 * Where the header block of CRLF-only bytes ends, by mailauth's rule: after the
 * first empty line, which is the very first line when the bytes start with CRLF.
 * Null when there is no empty line (all header, no body). Not parse's rawHeader:
 * that one never ends the header at a leading empty line, and reads up to a
 * limit when there is no empty line at all.
 */
function headerEnd(bytes: Buffer): number | null {
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const at = bytes.indexOf('\r\n\r\n');
  return at === -1 ? null : at + 4;
}

/** The bytes as they are: ensureLinebreaks' output for bytes without a bare LF. */
function* unchanged(input: Buffer): Iterable<Buffer> {
  yield input;
}

export async function verifyDkim(input: Buffer, options: { resolver: DnsResolver; sender?: string }): Promise<DkimVerification> {
  const verifier = new DkimVerifier(options);
  // The verifier rewrites bare LFs by walking every byte in a generator: a quarter
  // of its time on a 200 KB message. A stored message has none (the listener
  // refuses them), so it gets its bytes as they are; a file with LF line ends
  // (mailroom inspect) still goes through the rewrite.
  const crlf = crlfOnly(input);
  if (crlf) verifier.ensureLinebreaks = unchanged;
  const keyCache = keyCacheFor(options.resolver);
  verifier.keyCache = keyCache;
  // The ARC check reuses the message's key lookups through this hidden property.
  Object.defineProperty(verifier.arc, 'keyCache', { value: keyCache, enumerable: false, configurable: true, writable: true });
  // It finds the end of the header by pushing every byte through an array it
  // slices anew (a fifth of its time on real mail, whose headers run to
  // kilobytes); the header is handed over whole instead, as the scan would.
  const end = crlf ? headerEnd(input) : null;
  if (end !== null) await verifier.emitHeaders(input.subarray(0, end));
  await tools.writeToStream(verifier, end === null ? input : input.subarray(end));
  const { headerFrom, fromFields, envelopeFrom, results, headers, arc } = verifier;
  return { headerFrom, fromFields, envelopeFrom, results, ...(headers ? { headers } : {}), arc };
}

/** For tests: how many parsed keys are kept. */
export function cachedKeyCount(): number {
  return parsedKeys.size;
}

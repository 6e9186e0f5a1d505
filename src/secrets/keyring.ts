// Secrets at rest: account passwords, OAuth2 tokens and reply-token keys are
// sealed with AES-256-GCM before they reach the database. The key comes from
// MAILROOM_SECRET_KEY (config secret.key) or from a key file created with mode
// 0600 in the data dir on first use. Every sealed value names the key that
// sealed it, so a rotation can run while old values are still being re-sealed.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

export const KEY_FILE = 'secret.key';
const FORMAT = 'v1';

/** A key and its short public fingerprint (the first 8 hex digits of its SHA-256). */
export interface SecretKey {
  id: string;
  bytes: Buffer;
}

export function keyFromBytes(bytes: Buffer): SecretKey {
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

/** 32 bytes written as base64 or hex; anything else is refused with what is expected. */
export function parseKey(text: string, name: string): SecretKey {
  const value = text.trim();
  if (/^[0-9a-f]{64}$/i.test(value)) return keyFromBytes(Buffer.from(value, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=?$/.test(value)) return keyFromBytes(Buffer.from(value, 'base64'));
  throw new UsageError(`${name} must be 32 random bytes as base64 (44 characters) or hex (64); generate one with: openssl rand -base64 32`);
}

export class Keyring {
  /** Seals new values; always the first key. */
  readonly current: SecretKey;
  private readonly keys: Map<string, SecretKey>;

  constructor(keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new Error('a keyring needs a key');
    this.current = keys[0] as SecretKey;
    this.keys = new Map(keys.map((k) => [k.id, k]));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [format, keyId, iv, body] = sealed.split('.');
    if (format !== FORMAT || !keyId || !iv || !body)
      throw new SecretError('a stored secret is not in a format this version can read', 'it is not in a format this version can read');
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretError(
        `a stored secret was sealed with key ${keyId}, which this server does not have (it has ${[...this.keys.keys()].join(', ')}); ` +
          'set MAILROOM_SECRET_KEY to that key, or put it in MAILROOM_SECRET_PREVIOUS_KEY and run `npx mailroom keys rotate`',
        'they were sealed with a secret key this server does not have (lost or changed)',
      );
    }
    const data = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError(
        `a stored secret sealed with key ${keyId} does not open: the database or the key was altered`,
        'the database or the secret key was altered',
      );
    }
  }

  /** Whether a value is sealed with the current key (else `keys rotate` re-seals it). */
  isCurrent(sealed: string): boolean {
    return sealed.split('.')[1] === this.current.id;
  }

  keyBytes(id: string): Buffer {
    const key = this.keys.get(id);
    if (!key) throw new SecretError(`no key ${id}`);
    return key.bytes;
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }
}

/**
 * A sealed secret that cannot be opened. The message (for the operator's
 * terminal and log) names the keys involved; `publicText` does not, since key
 * fingerprints have no business in a tenant's API answer or account status.
 */
export class SecretError extends UsageError {
  readonly publicText: string;
  constructor(message: string, publicText = 'a stored secret cannot be opened') {
    super(message);
    this.publicText = publicText;
  }
}

/** Why an account waits when its stored credentials cannot be opened (the relay's reply, the API's answer): no key ids. */
export function unreadableCredentials(err: SecretError): string {
  return `the stored credentials cannot be opened: ${err.publicText}`;
}

export interface KeySettings {
  dataDir: string;
  /** secret.key (MAILROOM_SECRET_KEY): when set, no key file is used. */
  key: string;
  previousKey: string;
}

export function keyFilePath(dataDir: string): string {
  return join(resolve(dataDir), KEY_FILE);
}

/** Keys in the key file, one base64 line each, the current one first. */
function readKeyFile(path: string): SecretKey[] | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => parseKey(line, `${path} line ${i + 1}`));
}

/** Replaces the key file in one step (write, fsync, rename): never half a key. */
export function writeKeyFile(path: string, keys: readonly SecretKey[]): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, keys.map((k) => k.bytes.toString('base64')).join('\n') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * The keys this server can use. With an env key: that key (and the previous one
 * during a rotation). Without: the key file, created on first use when `create`.
 */
export function loadKeyring(settings: KeySettings, options: { create: boolean }): Keyring | null {
  if (settings.key) {
    const keys = [parseKey(settings.key, 'MAILROOM_SECRET_KEY (secret.key)')];
    if (settings.previousKey) keys.push(parseKey(settings.previousKey, 'MAILROOM_SECRET_PREVIOUS_KEY (secret.previousKey)'));
    return new Keyring(keys);
  }
  const path = keyFilePath(settings.dataDir);
  const existing = readKeyFile(path);
  if (existing && existing.length > 0) return new Keyring(existing);
  if (!options.create) return null;
  const key = keyFromBytes(randomBytes(32));
  writeKeyFile(path, [key]);
  return new Keyring([key]);
}

/**
 * The keyring as a long-running thread sees it: loaded once, and loaded again
 * only when the key file changed (a `mailroom keys rotate` while the server
 * runs), so opening a secret costs no file read.
 */
export function keyringSource(settings: KeySettings, options: { create: boolean }): () => Keyring | null {
  let cached: Keyring | null = null;
  let loadedAt = -1;
  return () => {
    if (settings.key) return (cached ??= loadKeyring(settings, options));
    const mtime = statSync(keyFilePath(settings.dataDir), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (!cached || mtime !== loadedAt) {
      cached = loadKeyring(settings, options);
      // Created just now: note its time, not the missing file's.
      loadedAt = statSync(keyFilePath(settings.dataDir), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    }
    return cached;
  };
}

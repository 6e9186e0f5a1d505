// Secrets at rest: sealing and opening, what tampering and a wrong key look
// like, the key file (mode 0600, created on first use), and rotation with a key
// file and with MAILROOM_SECRET_KEY.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Keyring, keyFromBytes, loadKeyring, parseKey, SecretError } from '../../src/secrets/keyring.ts';
import { rotateKeys } from '../../src/operations/key-rotation.ts';
import { openDatabase, SealedSecrets, TokenKeyStore, SqliteSql } from '../../src/store/index.ts';
import { tempDir } from '../helpers/server.ts';

describe('keyring', () => {
  it('seals so that only the same key opens, and notices tampering', () => {
    const ring = new Keyring([keyFromBytes(randomBytes(32))]);
    const sealed = ring.seal('app-password');
    expect(sealed).not.toContain('app-password');
    expect(ring.open(sealed)).toBe('app-password');
    expect(ring.seal('app-password')).not.toBe(sealed); // a fresh IV each time
    const body = sealed.split('.');
    // Two characters changed, whatever they were (an ending already "AA" must not pass for tampered).
    const tail = body[3]?.endsWith('AA') ? 'BB' : 'AA';
    body[3] = `${body[3]?.slice(0, -2)}${tail}`;
    expect(() => ring.open(body.join('.'))).toThrow(/altered/);
    expect(() => new Keyring([keyFromBytes(randomBytes(32))]).open(sealed)).toThrow(SecretError);
  });

  it('takes a 32-byte key as base64 or hex and refuses anything else with how to make one', () => {
    const bytes = randomBytes(32);
    expect(parseKey(bytes.toString('base64'), 'K').id).toBe(parseKey(bytes.toString('hex'), 'K').id);
    expect(() => parseKey('hunter2', 'MAILROOM_SECRET_KEY')).toThrow(/MAILROOM_SECRET_KEY must be 32 random bytes.*openssl rand -base64 32/);
  });

  it('creates the key file with mode 0600 on first use only', () => {
    const dir = tempDir();
    expect(loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: false })).toBeNull();
    const ring = loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: true })!;
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadKeyring({ dataDir: dir, key: '', previousKey: '' }, { create: false })?.current.id).toBe(ring.current.id);
  });
});

describe('keys rotate', () => {
  async function seeded(settings: { key: string; previousKey: string }): Promise<{ dir: string; db: ReturnType<typeof openDatabase> }> {
    const dir = tempDir();
    const db = openDatabase(dir);
    const ring = loadKeyring({ dataDir: dir, ...settings }, { create: true })!;
    await new TokenKeyStore(SqliteSql.of(db)).add(ring, new Date().toISOString());
    await new TokenKeyStore(SqliteSql.of(db)).add(ring, new Date().toISOString());
    return { dir, db };
  }

  it('with a key file: a new key, every secret re-sealed, the old key gone from the file', async () => {
    const { dir, db } = await seeded({ key: '', previousKey: '' });
    const settings = { dataDir: dir, key: '', previousKey: '' };
    const before = loadKeyring(settings, { create: false })!;
    const secretsBefore = (await new TokenKeyStore(SqliteSql.of(db)).keys(before)).map((k) => k.secret.toString('hex'));
    const result = await rotateKeys(new SealedSecrets(SqliteSql.of(db)), settings);
    expect(result).toMatchObject({ resealed: 2, previousKeyIds: [before.current.id], source: 'key file' });
    const after = loadKeyring(settings, { create: false })!;
    expect(after.ids).toEqual([result.keyId]);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(await new SealedSecrets(SqliteSql.of(db)).countByKeyId()).toEqual({ [result.keyId]: 2 });
    expect((await new TokenKeyStore(SqliteSql.of(db)).keys(after)).map((k) => k.secret.toString('hex'))).toEqual(secretsBefore);
    db.close();
  });

  it('with MAILROOM_SECRET_KEY: re-seals from the previous key to the new one, and says what is missing without it', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const { dir, db } = await seeded({ key: oldKey, previousKey: '' });
    expect(() =>
      loadKeyring({ dataDir: dir, key: newKey, previousKey: '' }, { create: false })!.open(db.prepare('SELECT secret FROM token_keys').pluck().get() as string),
    ).toThrow(/MAILROOM_SECRET_PREVIOUS_KEY/);
    const result = await rotateKeys(new SealedSecrets(SqliteSql.of(db)), { dataDir: dir, key: newKey, previousKey: oldKey });
    expect(result).toMatchObject({ resealed: 2, keyId: parseKey(newKey, 'k').id, source: 'environment' });
    expect(await new TokenKeyStore(SqliteSql.of(db)).keys(loadKeyring({ dataDir: dir, key: newKey, previousKey: '' }, { create: false })!)).toHaveLength(2);
    db.close();
  });
});

// `mailroom keys rotate`: re-seal every stored secret with a new key. With a key
// file: a new key is added in front (the old one stays readable), everything is
// re-sealed in one transaction, then the old key is dropped from the file, so a
// crash at any point leaves every secret readable. With MAILROOM_SECRET_KEY: the
// operator sets the new key there and the old one in MAILROOM_SECRET_PREVIOUS_KEY.
import { randomBytes } from 'node:crypto';
import type { SealedSecrets } from '../store/index.ts';
import { Keyring, keyFilePath, keyFromBytes, loadKeyring, writeKeyFile, type KeySettings } from '../secrets/keyring.ts';

export interface RotationResult {
  keyId: string;
  previousKeyIds: string[];
  resealed: number;
  source: 'environment' | 'key file';
}

export async function rotateKeys(sealed: SealedSecrets, settings: KeySettings): Promise<RotationResult> {
  if (settings.key) {
    const ring = loadKeyring(settings, { create: false }) as Keyring;
    const resealed = await sealed.resealAll((v) => (ring.isCurrent(v) ? null : ring.seal(ring.open(v))));
    return { keyId: ring.current.id, previousKeyIds: ring.ids.slice(1), resealed, source: 'environment' };
  }
  const old = loadKeyring(settings, { create: true }) as Keyring;
  const path = keyFilePath(settings.dataDir);
  const fresh = keyFromBytes(randomBytes(32));
  const oldKeys = old.ids.map((id) => ({ id, bytes: old.keyBytes(id) }));
  writeKeyFile(path, [fresh, ...oldKeys]);
  const ring = new Keyring([fresh, ...oldKeys]);
  const resealed = await sealed.resealAll((v) => ring.seal(ring.open(v)));
  writeKeyFile(path, [fresh]);
  return { keyId: fresh.id, previousKeyIds: old.ids, resealed, source: 'key file' };
}

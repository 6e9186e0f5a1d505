// The STARTTLS certificate: the configured PEM files, or on a first start without
// them a self-signed certificate generated once into <data dir>/tls and reused.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.ts';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  source: 'configured' | 'self-signed';
}

export interface TlsSettings {
  cert: string;
  key: string;
}

export async function loadTlsMaterial(settings: TlsSettings, dataDir: string, hostname: string, log: Logger): Promise<TlsMaterial> {
  if (settings.cert || settings.key) {
    if (!settings.cert || !settings.key) {
      throw new Error('smtp.tls.cert and smtp.tls.key must be set together (or neither, for a self-signed certificate)');
    }
    return { cert: readPem(settings.cert, 'smtp.tls.cert'), key: readPem(settings.key, 'smtp.tls.key'), source: 'configured' };
  }
  const dir = join(resolve(dataDir), 'tls');
  const certPath = join(dir, 'self-signed.crt');
  const keyPath = join(dir, 'self-signed.key');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const notAfterDate = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
    // Loaded only here: certificate generation pulls in a large ASN.1 stack.
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: hostname }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: hostname }] }],
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert, { mode: 0o644 });
    log.warn(
      { cert: certPath },
      'no smtp.tls.cert configured: generated a self-signed certificate for STARTTLS; set smtp.tls.cert and smtp.tls.key for production',
    );
  } else {
    log.info({ cert: certPath }, 'using the self-signed STARTTLS certificate from the data dir; set smtp.tls.cert and smtp.tls.key for production');
  }
  return { cert: readFileSync(certPath), key: readFileSync(keyPath), source: 'self-signed' };
}

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${key}: cannot read ${path} (${(err as Error).message})`, { cause: err });
  }
}

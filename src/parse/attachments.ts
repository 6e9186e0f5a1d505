// Attachments streamed to content-addressed files (sha256) under the data dir:
// the bytes go to a temporary file while they are hashed, then the file is
// renamed to its hash, so identical attachments are stored once and no
// attachment is held whole in memory.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export function attachmentsDir(dataDir: string): string {
  return join(resolve(dataDir), 'attachments');
}

export function attachmentPath(dataDir: string, sha256: string): string {
  return join(attachmentsDir(dataDir), sha256.slice(0, 2), sha256);
}

/** Directories known to exist: creating them again for every attachment costs a system call each. */
const madeDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  madeDirs.add(dir);
}

/** Stores the stream's bytes; returns their sha256 and size, and the first `keepHead` bytes when asked. */
export async function storeAttachment(dataDir: string, content: Readable, keepHead = 0): Promise<{ sha256: string; size: number; head: Buffer }> {
  const dir = attachmentsDir(dataDir);
  await ensureDir(join(dir, 'tmp'));
  const temporary = join(dir, 'tmp', randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  const head: Buffer[] = [];
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      if (size < keepHead) head.push(chunk.subarray(0, keepHead - size));
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(content, counter, createWriteStream(temporary, { mode: 0o640 }));
    const sha256 = hash.digest('hex');
    const final = attachmentPath(dataDir, sha256);
    if (await stat(final).catch(() => null)) {
      await rm(temporary, { force: true }); // already stored: same bytes, same name
    } else {
      await ensureDir(join(dir, sha256.slice(0, 2)));
      await rename(temporary, final);
    }
    return { sha256, size, head: Buffer.concat(head) };
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

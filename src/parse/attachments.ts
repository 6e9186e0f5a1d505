// Attachments streamed to content-addressed files (sha256) under the data dir,
// so identical attachments are stored once and no attachment is held whole in
// memory: the bytes go to a temporary file while they are hashed, then the file
// is renamed to its hash. Small ones (the common case) are hashed in memory and
// written once under their final name, which saves the temporary file.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Attachments up to this size are collected in memory before they are written. */
const SMALL = 256 * 1024;

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

/**
 * Contents stored recently by this process. The same small files come back again
 * and again (the logo in every signature of a thread): no need to ask the disk.
 * An entry lasts ten minutes: retention (store/retention.ts) deletes only files
 * untouched for an hour, so a file this list vouches for is never one it deleted.
 */
const recentlyStored = new Map<string, number>();
const REMEMBER_MS = 10 * 60_000;

function remember(key: string): void {
  if (recentlyStored.size >= 10_000) recentlyStored.clear();
  recentlyStored.set(key, Date.now());
}

function rememberedRecently(key: string): boolean {
  const at = recentlyStored.get(key);
  return at !== undefined && Date.now() - at < REMEMBER_MS;
}

/** An existing file reused for another message is touched, so retention sees it in use. */
async function touch(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined);
}

async function writeSmall(dataDir: string, bytes: Buffer, sha256: string): Promise<void> {
  const key = `${dataDir}:${sha256}`;
  if (rememberedRecently(key)) return;
  await ensureDir(join(attachmentsDir(dataDir), sha256.slice(0, 2)));
  try {
    await writeFile(attachmentPath(dataDir, sha256), bytes, { flag: 'wx', mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // already stored: same bytes, same name
    await touch(attachmentPath(dataDir, sha256));
  }
  remember(key);
}

async function streamLarge(dataDir: string, chunks: AsyncIterable<Buffer>): Promise<{ sha256: string; size: number }> {
  const dir = attachmentsDir(dataDir);
  await ensureDir(join(dir, 'tmp'));
  const temporary = join(dir, 'tmp', randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(Readable.from(chunks), counter, createWriteStream(temporary, { mode: 0o640 }));
    const sha256 = hash.digest('hex');
    const final = attachmentPath(dataDir, sha256);
    if (await stat(final).catch(() => null)) {
      await rm(temporary, { force: true });
      await touch(final);
    } else {
      await ensureDir(join(dir, sha256.slice(0, 2)));
      await rename(temporary, final);
    }
    return { sha256, size };
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** The collected start, then the rest of the stream as it comes. */
async function* continued(start: Buffer, pending: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield start;
  yield pending;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/** Stores the stream's bytes; returns their sha256 and size, and the first `keepHead` bytes when asked. */
export async function storeAttachment(dataDir: string, content: Readable, keepHead = 0): Promise<{ sha256: string; size: number; head: Buffer }> {
  const iterator = (content as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const collected: Buffer[] = [];
  let collectedBytes = 0;
  let next = await iterator.next();
  while (!next.done && collectedBytes + next.value.length <= SMALL) {
    collected.push(next.value);
    collectedBytes += next.value.length;
    next = await iterator.next();
  }
  const all = Buffer.concat(collected);
  if (next.done) {
    const head = all.subarray(0, keepHead);
    const sha256 = createHash('sha256').update(all).digest('hex');
    await writeSmall(dataDir, all, sha256);
    return { sha256, size: all.length, head: Buffer.from(head) };
  }
  // Larger: what was collected, then the rest as it comes, through a temporary file.
  const head = Buffer.concat([all, next.value]).subarray(0, keepHead);
  const { sha256, size } = await streamLarge(dataDir, continued(all, next.value, iterator));
  return { sha256, size, head: Buffer.from(head) };
}

// One message being received. Small messages stay in memory; once one passes
// the spool threshold it continues into its spool file, so memory per session
// stays bounded whatever the message size. At the end the file is fsynced
// before the message is handed to the store, which makes its directory entry
// durable and commits the row: only then is the client told 250.
import { open, rm, type FileHandle } from 'node:fs/promises';
import { DataGuard, type DataVerdict } from './data-guard.ts';

export interface IncomingOptions {
  /** Our Received header, written before the client's bytes. */
  prefix: Buffer;
  maxBytes: number;
  spoolThresholdBytes: number;
  /** Where the spool file goes; asked only of a message that grows past the threshold. */
  spoolPath: () => string;
  /** Flow control on the client's stream while the spool file catches up. */
  pause: () => void;
  resume: () => void;
}

export type IncomingResult = { verdict: 'ok'; size: number; raw: Buffer | null; spooled: boolean } | { verdict: Exclude<DataVerdict, 'ok'> };

/** Past this much unwritten data the client's stream is paused. */
const MAX_QUEUED_WRITE_BYTES = 128 * 1024;

export class IncomingMessage {
  private readonly options: IncomingOptions;
  private readonly guard: DataGuard;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private file: Promise<FileHandle> | null = null;
  private writes: Promise<unknown> = Promise.resolve();
  private queuedBytes = 0;
  private writeError: Error | null = null;
  private paused = false;

  constructor(options: IncomingOptions) {
    this.options = options;
    this.guard = new DataGuard(options.maxBytes);
    this.chunks.push(options.prefix);
    this.buffered = options.prefix.length;
  }

  get size(): number {
    return this.guard.size;
  }

  push(chunk: Buffer): void {
    if (!this.guard.check(chunk)) {
      this.chunks = []; // refused: keep nothing
      return;
    }
    if (this.file) return this.write([chunk]);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > this.options.spoolThresholdBytes) {
      this.file = open(this.options.spoolPath(), 'wx', 0o640);
      this.file.catch((err: Error) => (this.writeError = err));
      const spill = this.chunks;
      this.chunks = [];
      this.write(spill);
    }
  }

  private write(chunks: Buffer[]): void {
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    this.queuedBytes += bytes;
    if (this.queuedBytes > MAX_QUEUED_WRITE_BYTES && !this.paused) {
      this.paused = true;
      this.options.pause();
    }
    const file = this.file as Promise<FileHandle>;
    this.writes = this.writes
      .then(async () => {
        if (this.writeError) return;
        await (await file).writev(chunks);
      })
      .catch((err: Error) => (this.writeError ??= err))
      .finally(() => {
        this.queuedBytes -= bytes;
        if (this.paused && this.queuedBytes <= MAX_QUEUED_WRITE_BYTES) {
          this.paused = false;
          this.options.resume();
        }
      });
  }

  /** After the stream ended: the verdict, and the bytes or the fsynced spool file. Throws when the spool could not be written. */
  async finish(): Promise<IncomingResult> {
    const verdict = this.guard.verdict();
    if (verdict !== 'ok') {
      await this.discard();
      return { verdict };
    }
    const size = this.options.prefix.length + this.guard.size;
    if (!this.file) {
      const raw = Buffer.concat(this.chunks, size);
      this.chunks = [];
      return { verdict: 'ok', size, raw, spooled: false };
    }
    await this.writes;
    const handle = await this.file.catch(() => null);
    if (this.writeError || !handle) {
      await this.discard();
      throw this.writeError ?? new Error('spool file could not be opened');
    }
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { verdict: 'ok', size, raw: null, spooled: true };
  }

  /** Drops whatever was kept: memory, and the spool file if one was started. */
  async discard(): Promise<void> {
    this.chunks = [];
    if (!this.file) return;
    const file = this.file;
    this.file = null;
    await this.writes;
    const handle = await file.catch(() => null);
    await handle?.close().catch(() => undefined);
    await rm(this.options.spoolPath(), { force: true });
  }
}

// Collects the DATA stream into memory while checking it for what enables SMTP
// smuggling: smtp-server only ends DATA on CRLF.CRLF, but a bare LF or CR (and
// NUL) could still be read as a line end by the next hop. Such a message is
// refused (as mox does), never stored. Also enforces the size limit without
// keeping bytes past it.

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export type DataVerdict = 'ok' | 'too_big' | 'bad_line_endings';

export class DataCollector {
  private readonly maxBytes: number;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private previous = -1;
  private verdictSoFar: DataVerdict = 'ok';

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.verdictSoFar !== 'ok') return;
    if (this.bytes > this.maxBytes) {
      this.verdictSoFar = 'too_big';
      this.chunks.length = 0;
      return;
    }
    if (!this.scan(chunk)) {
      this.verdictSoFar = 'bad_line_endings';
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  /** Checks every CR is followed by LF and every LF preceded by CR, and no NUL. */
  private scan(chunk: Buffer): boolean {
    let previous = this.previous;
    // indexOf is native and fast; only the bytes around a CR or LF need a look.
    if (chunk.indexOf(NUL) !== -1) return false;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? previous : chunk[i - 1];
      if (before !== CR) return false;
    }
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
      // A CR at the very end is judged with the next chunk's first byte.
      if (i === chunk.length - 1) break;
      if (chunk[i + 1] !== LF) return false;
    }
    if (previous === CR && chunk.length > 0 && chunk[0] !== LF) return false;
    previous = chunk.length > 0 ? (chunk[chunk.length - 1] as number) : previous;
    this.previous = previous;
    return true;
  }

  /** Final verdict once the stream ended; the stream always ends with CRLF before the dot. */
  verdict(): DataVerdict {
    if (this.verdictSoFar === 'ok' && this.previous === CR) return 'bad_line_endings';
    return this.verdictSoFar;
  }

  get size(): number {
    return this.bytes;
  }

  /** The message, in one buffer; call once. */
  take(prefix: Buffer): Buffer {
    const out = Buffer.concat([prefix, ...this.chunks], prefix.length + this.bytes);
    this.chunks.length = 0;
    return out;
  }
}

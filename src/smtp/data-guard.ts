// Checks the DATA stream for what enables SMTP smuggling: smtp-server only ends
// DATA on CRLF.CRLF, but a bare LF or CR (and NUL) could still be read as a line
// end by the next hop. Such a message is refused (as mox does), never stored.
// Also counts bytes against the size limit.

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export type DataVerdict = 'ok' | 'too_big' | 'bad_line_endings';

export class DataGuard {
  private readonly maxBytes: number;
  private bytes = 0;
  private previous = -1;
  private verdictSoFar: DataVerdict = 'ok';

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Checks one chunk; false once the message is refused (keep nothing of it). */
  check(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.verdictSoFar !== 'ok') return false;
    if (this.bytes > this.maxBytes) this.verdictSoFar = 'too_big';
    else if (!this.scan(chunk)) this.verdictSoFar = 'bad_line_endings';
    return this.verdictSoFar === 'ok';
  }

  /** Every CR followed by LF, every LF preceded by CR, and no NUL. */
  private scan(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    // indexOf is native and fast; only the bytes around a CR or LF need a look.
    if (chunk.indexOf(NUL) !== -1) return false;
    if (this.previous === CR && chunk[0] !== LF) return false;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? this.previous : chunk[i - 1];
      if (before !== CR) return false;
    }
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) {
      // A CR at the very end is judged with the next chunk's first byte.
      if (i === chunk.length - 1) break;
      if (chunk[i + 1] !== LF) return false;
    }
    this.previous = chunk[chunk.length - 1] as number;
    return true;
  }

  /** Final verdict once the stream ended; the data always ends with CRLF before the dot. */
  verdict(): DataVerdict {
    if (this.verdictSoFar === 'ok' && this.previous === CR) return 'bad_line_endings';
    return this.verdictSoFar;
  }

  get size(): number {
    return this.bytes;
  }
}

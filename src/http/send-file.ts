// A file as a response body, streamed from disk straight into the socket, at no
// more than the server's download budget. The API shares its event loop (and,
// on a small machine, its cores) with SMTP intake: unpaced, ten 30 MB downloads
// took the CPU from intake (bench:api-load: DATA-to-250 p99 8x idle at 460 MB/s),
// so every download draws from one shared budget (http.downloadMbPerSecond).
// Under `serve` (@hono/node-server) the Node response is at hand and a file
// stream is piped into it, a fraction of a WHATWG stream's per-chunk work;
// elsewhere (app.request in a test) a web stream carries it.
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';

/** Chunk size of file reads: large enough that a 30 MB download is ~120 turns of the loop, not thousands. */
const CHUNK = 256 * 1024;

/** One byte budget for every download of the server: a token bucket refilled continuously. */
export class DownloadBudget {
  private readonly bytesPerMs: number;
  private available: number;
  private at = Date.now();
  /** Bytes promised to chunks still waiting, so concurrent downloads queue fairly. */
  private owed = 0;

  /** `mbPerSecond` 0: no limit. */
  constructor(mbPerSecond: number) {
    this.bytesPerMs = (mbPerSecond * 1024 * 1024) / 1000;
    // A burst of one chunk per download passes at once.
    this.available = Math.max(CHUNK, this.bytesPerMs * 100);
  }

  /** Milliseconds to wait before sending `bytes` (0: now). */
  reserve(bytes: number): number {
    if (this.bytesPerMs === 0) return 0;
    const now = Date.now();
    this.available = Math.min(this.available + (now - this.at) * this.bytesPerMs, Math.max(CHUNK, this.bytesPerMs * 100));
    this.at = now;
    const wait = Math.max(0, (bytes + this.owed - this.available) / this.bytesPerMs);
    if (wait === 0) {
      this.available -= bytes;
      return 0;
    }
    this.owed += bytes;
    setTimeout(() => {
      this.owed -= bytes;
      this.available -= bytes;
    }, wait).unref();
    return Math.ceil(wait);
  }

  /** A pass-through stream that holds each chunk until the budget allows it. */
  pace(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        const wait = this.reserve(chunk.length);
        if (wait === 0) callback(null, chunk);
        else setTimeout(() => callback(null, chunk), wait);
      },
    });
  }
}

export function sendFile(c: Context, budget: DownloadBudget, path: string, size: number, headers: Record<string, string>): Response {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  const all = { ...headers, 'content-length': String(size) };
  const source = createReadStream(path, { highWaterMark: CHUNK });
  if (!outgoing) return c.body(Readable.toWeb(source.pipe(budget.pace())) as ReadableStream, 200, all);
  outgoing.writeHead(200, all);
  // A client that goes away mid-download ends the pipeline with an error: nothing to do but close the file.
  pipeline(source, budget.pace(), outgoing).catch(() => undefined);
  return RESPONSE_ALREADY_SENT;
}

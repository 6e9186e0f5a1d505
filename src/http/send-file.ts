// A file as a response body, streamed from disk straight into the socket, at no
// more than the server's download budget. The API shares its event loop (and,
// on a small machine, its cores) with SMTP intake, so every download draws
// from one shared budget (http.downloadMbPerSecond; bench:api-load measures it).
// The Node response of @hono/node-server is at hand, and a file stream is
// piped into it: a fraction of a WHATWG stream's per-chunk work.
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { TokenBucket } from '../net/index.ts';

/** Chunk size of file reads: large enough that a 30 MB download is ~120 turns of the loop, not thousands. */
const CHUNK = 256 * 1024;

/** One byte budget for every download of the server: chunks wait their turn in the order they asked. */
export class DownloadBudget {
  private readonly bucket: TokenBucket | null;

  /** `mbPerSecond` 0: no limit. */
  constructor(mbPerSecond: number) {
    const perMs = (mbPerSecond * 1024 * 1024) / 1000;
    // A tenth of a second's worth (at least a chunk) passes at once.
    this.bucket = perMs > 0 ? new TokenBucket(perMs, Math.max(CHUNK, perMs * 100), Date.now()) : null;
  }

  /** Milliseconds to wait before sending `bytes` (0: now); the bytes are spent either way. */
  reserve(bytes: number): number {
    if (!this.bucket) return 0;
    const now = Date.now();
    this.bucket.take(bytes, now);
    return Math.ceil(this.bucket.msUntil(0, now));
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
  if (!outgoing) throw new Error('sendFile answers through @hono/node-server (the server `serve` runs)');
  const source = createReadStream(path, { highWaterMark: CHUNK });
  outgoing.writeHead(200, { ...headers, 'content-length': String(size) });
  // A client that goes away mid-download ends the pipeline with an error: nothing to do but close the file.
  pipeline(source, budget.pace(), outgoing).catch(() => undefined);
  return RESPONSE_ALREADY_SENT;
}

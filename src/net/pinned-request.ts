// An HTTP(S) POST to an address checked beforehand (public-target.ts): the
// host name stays in the URL (Host header, TLS SNI and certificate check), but
// the connection goes to the given address, so a DNS answer that changes
// between the check and the connection (rebinding) cannot redirect it.
// Redirects are never followed.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './public-target.ts';

// Required, not imported: an ESM import of node:http reads every export to build
// the module's facade, and http.WebSocket's getter loads undici, ~25 ms of the
// start of every thread that delivers webhooks or sends mail (this module is on
// both paths through net/index.ts).
const require = createRequire(import.meta.url);
const { request: httpRequest } = require('node:http') as typeof import('node:http');
const { request: httpsRequest } = require('node:https') as typeof import('node:https');

export interface PinnedResponse {
  status: number;
  /** The address the connection was made to. */
  remoteAddress: string | null;
}

export function postPinned(target: CheckedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PinnedResponse> {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    // Node asks for every address when autoSelectFamily is on; answer in the shape it asked for.
    if ((options as { all?: boolean }).all)
      (callback as unknown as (err: null, list: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target.url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup },
      (res: IncomingMessage) => {
        clearTimeout(deadline);
        const remoteAddress = res.socket?.remoteAddress ?? null;
        // The body is not read: only the status counts.
        res.resume();
        resolve({ status: res.statusCode ?? 0, remoteAddress });
      },
    );
    // One deadline for connecting, sending and the answer's status line.
    const deadline = setTimeout(() => {
      const err = new Error(`no answer within ${timeoutMs} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(body);
  });
}

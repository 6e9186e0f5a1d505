// Starts the HTTP API on the main thread of `mailroom serve` (its requests are
// short indexed reads and small writes), and stops it.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApi } from './app.ts';
import type { ApiDeps } from './deps.ts';

export interface HttpServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export function startHttpServer(deps: ApiDeps, host: string, port: number): Promise<HttpServer> {
  const app = createApi(deps);
  return new Promise((resolve, reject) => {
    let server: ServerType | null = null;
    server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      const s = server as ServerType;
      s.off('error', reject);
      resolve({
        address: info,
        close: () =>
          new Promise<void>((done) => {
            s.close(() => done());
            (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}

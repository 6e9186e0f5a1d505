// A webhook receiver on 127.0.0.1 that verifies every delivery with the
// `standardwebhooks` package (not our own signing code), records what it got,
// and can be told to fail (a status, or refusing connections when closed).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { EventCheck } from './event-schemas.ts';

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  tenant: string;
  data: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  events: ReceivedEvent[];
  /** Each verified delivery as it came: the body and its Standard Webhooks headers. */
  deliveries: { body: string; headers: Record<string, string> }[];
  /** Deliveries whose signature did not verify (should stay empty). */
  badSignatures: string[];
  /** Events that do not follow their schema in the OpenAPI document, with why (should stay empty). */
  invalidEvents: string[];
  /** Answer this status instead of 204 (null: normal). */
  failWith: number | null;
  /** The secrets deliveries may be signed with (any one verifying is enough). */
  secrets: string[];
  attempts: number;
  close(): Promise<void>;
  /** Listen again on the same port after close(). */
  reopen(): Promise<void>;
}

/** `check`: every event received is validated with it (test/helpers/event-schemas.ts). */
export async function startReceiver(path = '/hooks', check: EventCheck | null = null): Promise<Receiver> {
  const state = { failWith: null as number | null, attempts: 0 };
  const events: ReceivedEvent[] = [];
  const deliveries: Receiver['deliveries'] = [];
  const badSignatures: string[] = [];
  const invalidEvents: string[] = [];
  const secrets: string[] = [];
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      state.attempts++;
      if (state.failWith !== null) {
        res.statusCode = state.failWith;
        return res.end();
      }
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      };
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        badSignatures.push(headers['webhook-id']);
        res.statusCode = 401;
        return res.end();
      }
      const event = JSON.parse(body) as ReceivedEvent;
      if (event.id !== headers['webhook-id']) badSignatures.push(`id mismatch ${event.id}`);
      const invalid = check?.(event) ?? null;
      if (invalid) invalidEvents.push(invalid);
      events.push(event);
      deliveries.push({ body, headers });
      res.statusCode = 204;
      res.end();
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    events,
    deliveries,
    badSignatures,
    invalidEvents,
    secrets,
    get failWith() {
      return state.failWith;
    },
    set failWith(v: number | null) {
      state.failWith = v;
    },
    get attempts() {
      return state.attempts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    reopen: async () => {
      server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
  };
}

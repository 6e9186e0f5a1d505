import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('log lines', () => {
  it('never carry a password, secret, key, token or raw message handed to them by mistake', async () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream).child({ session: 'S1' });
    log.info({ password: 'hunter2', secret: 's3', key: 'k', raw: 'From: a', accessToken: 't', refreshToken: 'r', size: 42 }, 'oops');
    await new Promise((r) => setImmediate(r));
    const line = lines[0]!;
    for (const field of ['password', 'secret', 'key', 'raw', 'accessToken', 'refreshToken']) expect(line[field]).toBe('[redacted]');
    expect(line).toMatchObject({ size: 42, session: 'S1', msg: 'oops', service: 'mailroom' });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|s3|From: a/);
  });
});

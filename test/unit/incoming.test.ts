import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IncomingMessage } from '../../src/smtp/index.ts';
import { tempDir } from '../helpers/server.ts';

function incoming(spoolThresholdBytes: number, maxBytes = 10_000_000) {
  const path = join(tempDir(), 'm.eml');
  const flow = { paused: 0, resumed: 0 };
  const message = new IncomingMessage({
    prefix: Buffer.from('Received: x\r\n'),
    maxBytes,
    spoolThresholdBytes,
    spoolPath: () => path,
    pause: () => flow.paused++,
    resume: () => flow.resumed++,
  });
  return { message, path, flow };
}

const line = `${'a'.repeat(78)}\r\n`;

describe('incoming message', () => {
  it('keeps a small message in memory, prefix first', async () => {
    const { message, path } = incoming(1000);
    message.push(Buffer.from('Subject: s\r\n\r\nhi\r\n'));
    const result = await message.finish();
    expect(result).toMatchObject({ verdict: 'ok', spooled: false, size: 13 + 18 });
    expect(result.verdict === 'ok' && result.raw?.toString()).toBe('Received: x\r\nSubject: s\r\n\r\nhi\r\n');
    expect(existsSync(path)).toBe(false);
  });

  it('spools a large message to its file, byte for byte, with flow control', async () => {
    const { message, path, flow } = incoming(1000);
    const chunks = Array.from({ length: 40_000 }, (_, i) => Buffer.from(`${i} ${line}`));
    for (const chunk of chunks) message.push(chunk);
    const result = await message.finish();
    const expected = Buffer.concat([Buffer.from('Received: x\r\n'), ...chunks]);
    expect(result).toMatchObject({ verdict: 'ok', spooled: true, raw: null, size: expected.length });
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(flow.paused).toBeGreaterThan(0);
    expect(flow.resumed).toBe(flow.paused);
  });

  it.each([
    ['bare LF after spooling began', [line.repeat(20), 'bad\nline\r\n'], 'bad_line_endings'],
    ['too big after spooling began', [line.repeat(20), line.repeat(20)], 'too_big'],
  ])('removes the spool file of a refused message: %s', async (_name, chunks, verdict) => {
    const { message, path } = incoming(1000, 2500);
    for (const chunk of chunks) message.push(Buffer.from(chunk));
    await new Promise((r) => setTimeout(r, 50)); // the spool file is opened asynchronously
    expect(existsSync(path)).toBe(true);
    expect(await message.finish()).toEqual({ verdict });
    expect(existsSync(path)).toBe(false);
  });

  it('fails (so the client gets 4xx) when the spool file cannot be written', async () => {
    const message = new IncomingMessage({
      prefix: Buffer.alloc(0),
      maxBytes: 1e7,
      spoolThresholdBytes: 10,
      spoolPath: () => '/nonexistent-dir/x.eml',
      pause: () => {},
      resume: () => {},
    });
    message.push(Buffer.from(line.repeat(3)));
    await expect(message.finish()).rejects.toThrow(/ENOENT/);
  });
});

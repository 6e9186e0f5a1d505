import { describe, expect, it } from 'vitest';
import { DataGuard } from '../../src/smtp/index.ts';

function verdictOf(chunks: string[], max = 1000): string {
  const guard = new DataGuard(max);
  for (const chunk of chunks) guard.check(Buffer.from(chunk, 'latin1'));
  return guard.verdict();
}

describe('DATA guard', () => {
  it.each([
    ['CRLF lines', ['Subject: x\r\n\r\nhello\r\n'], 'ok'],
    ['CRLF split across chunks', ['Subject: x\r', '\n\r\nhello\r\n'], 'ok'],
    ['LF split from its CR at a chunk start', ['hello\r', '\nworld\r\n'], 'ok'],
    ['bare LF', ['Subject: x\n\nhello\r\n'], 'bad_line_endings'],
    ['smuggling LF.LF', ['hello\r\n\n.\nMAIL FROM:<x@y>\r\n'], 'bad_line_endings'],
    ['smuggling CRLF.LF', ['hello\r\n.\nRCPT TO:<x@y>\r\n'], 'bad_line_endings'],
    ['bare CR', ['hello\rworld\r\n'], 'bad_line_endings'],
    ['bare CR at a chunk end', ['hello\r', 'world\r\n'], 'bad_line_endings'],
    ['bare LF at a chunk start', ['hello', '\nworld\r\n'], 'bad_line_endings'],
    ['NUL byte', ['hel\u0000lo\r\n'], 'bad_line_endings'],
    ['CR as the last byte', ['hello\r'], 'bad_line_endings'],
    ['over the size limit', ['x'.repeat(600), 'y'.repeat(600)], 'too_big'],
  ])('%s -> %s', (_name, chunks, expected) => {
    expect(verdictOf(chunks)).toBe(expected);
  });

  it('says to keep nothing once a chunk is refused', () => {
    const guard = new DataGuard(1000);
    expect(guard.check(Buffer.from('ok\r\n'))).toBe(true);
    expect(guard.check(Buffer.from('bad\n'))).toBe(false);
    expect(guard.check(Buffer.from('fine again\r\n'))).toBe(false);
    expect(guard.size).toBe(4 + 4 + 12);
  });
});

// mailroom inspect on fixture files: the pipeline's verdicts without storing.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.ts';
import { tempDir, zoneFile } from '../helpers/server.ts';

describe('mailroom inspect', () => {
  it('prints one JSON object per file with the documented fields, and stores nothing', () => {
    const dir = tempDir();
    const env = { MAILROOM_DATA_DIR: join(dir, 'data'), MAILROOM_DNS_ZONE_FILE: zoneFile(dir) };
    const result = runCli(['inspect', 'fixtures/classify', 'fixtures/parse/reply-with-cv.eml', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(readdirSync('fixtures/classify').filter((n) => n.endsWith('.eml')).length + 1);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['file', 'kind', 'auth', 'from', 'originalFrom', 'forwardedBy', 'subject', 'replyText', 'bounce', 'attachments']),
      );
    }
    const byFile = new Map(lines.map((l) => [String(l.file).split('/').pop(), l]));
    // A report a mail system wrote carries no text a person wrote: its details are in bounce.
    expect(byFile.get('dsn-hard.eml')).toMatchObject({ kind: 'bounce', bounce: { recipient: 'gone@candidate.example', hard: true }, replyText: null });
    expect(byFile.get('arf-abuse.eml')).toMatchObject({ kind: 'feedback_report', replyText: null });
    expect(byFile.get('ooo-auto-submitted.eml')).toMatchObject({ kind: 'auto_reply', replyText: expect.any(String) });
    expect(byFile.get('gmail-forward.eml')).toMatchObject({ kind: 'message', originalFrom: 'jane@candidate.example', forwardedBy: 'jobs@acme.com' });
    expect(byFile.get('reply-with-cv.eml')).toMatchObject({
      kind: 'message',
      // Read from a file, no DNS: nothing proves the sender.
      auth: { spf: 'none', sender: { authenticated: false } },
      attachments: [{ filename: 'cv.pdf' }, { filename: 'cv-copy.pdf' }],
    });
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('names a file it cannot read, inspects the others, and exits non-zero', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mail', 'odd.eml'), { recursive: true });
    copyFileSync('fixtures/classify/dsn-hard.eml', join(dir, 'mail', 'ok.eml'));
    const result = runCli(['inspect', join(dir, 'mail'), '--json'], { MAILROOM_DATA_DIR: join(dir, 'data'), MAILROOM_DNS_ZONE_FILE: zoneFile(dir) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/odd\.eml: is a directory/);
    expect(result.stderr).toMatch(/1 of 2 files could not be inspected/);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ file: join(dir, 'mail', 'odd.eml'), error: 'is a directory' }),
      expect.objectContaining({ file: join(dir, 'mail', 'ok.eml'), kind: 'bounce' }),
    ]);
  });

  it('says which path does not exist', () => {
    const result = runCli(['inspect', 'fixtures/nope.eml'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no such file or directory: fixtures\/nope.eml/);
  });
});

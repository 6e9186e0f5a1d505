// mailroom inspect <file.eml|dir>... [--json]: runs the whole pipeline on files
// without storing anything, so an operator can ask "why did this land there?".
// A directory means every .eml file in it. Attachments go to a temporary
// directory that is removed afterwards. Client IP, HELO and sender come from
// the file's newest Received and Return-Path headers. With --tenant, the
// store is read (never written) for the one thing matching owes to it: which
// of the tenant's outbound messages the file answers (outboundId).
import type { Command } from 'commander';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { ProcessedMessage } from '../store/index.ts';
import { loadCliConfig, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printFields, senderLine } from './output.ts';

function expand(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`no such file or directory: ${path}`);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)
        .filter((n) => n.toLowerCase().endsWith('.eml'))
        .sort())
        files.push(join(path, name));
    } else files.push(path);
  }
  return files;
}

/** The inspect JSON of one file: the same names as in `messages show --json`. */
export function inspectJson(file: string, p: ProcessedMessage, outboundId: string | null = null): Record<string, unknown> {
  const c = p.classification;
  return {
    file,
    kind: c.kind,
    outboundId,
    auth: p.auth ? { spf: p.auth.spf, dkim: p.auth.dkim, dmarc: p.auth.dmarc, arc: p.auth.arc, sender: p.auth.sender ?? null } : null,
    from: p.from,
    originalFrom: c.forward?.originalFrom?.address ?? p.from,
    forwardedBy: c.forward?.forwardedBy ?? null,
    subject: p.subject,
    replyText: c.replyText,
    bounce: c.bounce,
    attachments: p.attachments,
    ...(c.error ? { error: c.error } : {}),
  };
}

/** The tenant's outbound message the file answers: the newest its In-Reply-To or References name. */
async function answers(options: GlobalOptions, tenant: string, processed: ProcessedMessage): Promise<string | null> {
  const [{ answeredOutbound, EVERY_TENANT }, { threadIds }] = await Promise.all([import('../operations/index.ts'), import('../pipeline/match-stage.ts')]);
  return await withContext(options, async (ctx) => (await answeredOutbound(ctx, EVERY_TENANT, tenant, threadIds(processed.parsed)))?.id ?? null);
}

export function registerInspectCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('inspect <paths...>')
    .description('run the pipeline on .eml files (or directories of them) without storing anything')
    .option('--json', 'print one JSON object per file, one per line')
    .option('--tenant <slug>', "also name the tenant's outbound message each file answers (outboundId), read from the store")
    .action(async (paths: string[], options: { json?: boolean; tenant?: string }) => {
      const config = loadCliConfig(globals());
      const files = expand(paths);
      // Loaded when the command runs: `mailroom serve` shares this module graph, and its SMTP thread has no use for the pipeline.
      const [{ domainList }, { createResolver }, { runPipeline }] = await Promise.all([
        import('../auth/index.ts'),
        import('../dns/index.ts'),
        import('../pipeline/stages.ts'),
      ]);
      const scratch = mkdtempSync(join(tmpdir(), 'mailroom-inspect-'));
      const deps = {
        resolver: createResolver(config.dns),
        mta: config.smtp.hostname,
        dataDir: scratch,
        trustedArcSealers: domainList(config.auth.trustedArcSealers),
      };
      // A file that cannot be read is named and skipped: the others are still inspected.
      const failed: string[] = [];
      try {
        for (const [index, file] of files.entries()) {
          let processed: ProcessedMessage;
          try {
            processed = (await runPipeline({ raw: readFileSync(file), envelope: null, lastAttempt: true }, deps)).processed;
          } catch (err) {
            failed.push(file);
            const reason = (err as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory' : (err as Error).message;
            process.stderr.write(`mailroom: ${file}: ${reason}\n`);
            if (options.json) process.stdout.write(`${JSON.stringify({ file, error: reason })}\n`);
            continue;
          }
          const json = inspectJson(file, processed, options.tenant ? await answers(globals(), options.tenant, processed) : null);
          if (options.json) {
            process.stdout.write(`${JSON.stringify(json)}\n`);
            continue;
          }
          if (index > 0) process.stdout.write('\n');
          printFields([
            ['file', file],
            ['kind', String(json.kind)],
            ['from', processed.from],
            ['original from', json.originalFrom as string | null],
            ['forwarded by', json.forwardedBy as string | null],
            ['subject', processed.subject],
            ['answers', json.outboundId as string | null],
            ['auth', processed.auth ? `spf=${processed.auth.spf} dkim=${processed.auth.dkim} dmarc=${processed.auth.dmarc} arc=${processed.auth.arc}` : null],
            ['sender', senderLine(processed.auth)],
            ['bounce', json.bounce ? JSON.stringify(json.bounce) : null],
            ['attachments', processed.attachments.map((a) => `${a.filename ?? '(unnamed)'} (${a.contentType})`).join(', ') || null],
            ['reply text', (json.replyText as string | null)?.replace(/\s+/g, ' ').slice(0, 200) ?? null],
          ]);
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      if (failed.length > 0) throw new UsageError(`${failed.length} of ${files.length} files could not be inspected (named above)`);
    });
}

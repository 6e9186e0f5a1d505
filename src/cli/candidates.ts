// mailroom candidates add|import|list|search|show|remove
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { UsageError } from '../errors.ts';
import { importCandidates, removeCandidate, upsertCandidate } from '../operations/candidates.ts';
import { searchCandidates } from '../operations/messages.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import type { Candidate, CandidateInput, CandidateStore } from '../store/index.ts';
import { candidateJson } from '../views/index.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { parseLimit } from './messages.ts';
import { printFields, printJson, printTable } from './output.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Rows of a CSV (header: external_id,name,email[,email...] or emails separated by ;) or a JSON array. */
export function readCandidateFile(path: string): { line: number; input: CandidateInput }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path} (${(err as Error).message})`);
  }
  if (extname(path).toLowerCase() === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(data)) throw new UsageError(`${path}: expected an array of {externalId, name, emails}`);
    return data.map((row: { externalId?: unknown; external_id?: unknown; name?: unknown; emails?: unknown; email?: unknown }, i) => ({
      line: i + 1,
      input: {
        externalId: String(row.externalId ?? row.external_id ?? ''),
        name: String(row.name ?? ''),
        emails: (Array.isArray(row.emails) ? row.emails : [row.emails ?? row.email ?? '']).map(String).filter((e) => e !== ''),
      },
    }));
  }
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw new UsageError(`${path}: not valid CSV (${(err as Error).message})`);
  }
  return records.map((row, i) => ({
    line: i + 2, // the header is line 1
    input: {
      externalId: row.external_id ?? row.externalid ?? row.id ?? '',
      name: row.name ?? '',
      emails: Object.entries(row)
        .filter(([key]) => key.startsWith('email'))
        .flatMap(([, value]) => (value ?? '').split(/[;,\s]+/))
        .filter((e) => e !== ''),
    },
  }));
}

/** The candidate an external id names: in --tenant, else the only tenant that has one. */
async function findCandidate(store: CandidateStore, externalId: string, tenant: string | undefined): Promise<Candidate> {
  if (tenant) {
    const candidate = await store.get(tenant, externalId);
    if (!candidate) throw new UsageError(`no candidate "${externalId}" in tenant "${tenant}"`);
    return candidate;
  }
  const found = await store.withExternalId(externalId);
  if (found.length === 0) throw new UsageError(`no candidate "${externalId}" (see: npx mailroom candidates list --tenant T)`);
  if (found.length > 1) throw new UsageError(`tenants ${found.map((c) => c.tenant).join(', ')} each have a candidate "${externalId}": say which with --tenant`);
  return found[0] as Candidate;
}

/** add a candidate (or replace the one with the same external id) */
const add = (globals: () => GlobalOptions) => (options: { tenant: string; externalId: string; name: string; email: string[]; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { candidate, created } = await upsertCandidate(ctx, EVERY_TENANT, options.tenant, {
      externalId: options.externalId,
      name: options.name,
      emails: options.email,
    });
    if (options.json) return printJson(candidateJson(candidate));
    process.stdout.write(`${created ? 'added' : 'updated'} candidate ${candidate.externalId} (${candidate.name}): ${candidate.emails.join(', ')}\n`);
  });

/** upsert candidates by external id from CSV (external_id,name,email[,email2...]) or JSON */
const importCommand = (globals: () => GlobalOptions) => (file: string, options: { tenant: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const rows = readCandidateFile(file);
    const showProgress = process.stderr.isTTY && !options.json;
    const result = await importCandidates(ctx, EVERY_TENANT, {
      tenant: options.tenant,
      rows: rows.map((r) => r.input),
      ...(showProgress ? { progress: (done: number, total: number) => process.stderr.write(`\rimporting ${done}/${total}`) } : {}),
    });
    if (showProgress) process.stderr.write('\n');
    const summary = {
      created: result.created,
      updated: result.updated,
      rejected: result.rejected.map((r) => ({ line: rows[r.index]?.line ?? r.index + 1, reason: r.reason })),
    };
    if (options.json) return printJson(summary);
    process.stdout.write(`${summary.created} created, ${summary.updated} updated, ${summary.rejected.length} rejected\n`);
    for (const r of summary.rejected) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
  });

/** list a tenant's candidates */
const list = (globals: () => GlobalOptions) => (options: { tenant: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const list = await ctx.candidates.list(options.tenant);
    if (options.json) return printJson(list.map(candidateJson));
    printTable(list, CANDIDATE_COLUMNS, 'no candidates yet: add one with `npx mailroom candidates add --tenant T --external-id X --name N --email E`');
  });

const CANDIDATE_COLUMNS = [
  { header: 'external id', value: (c: Candidate) => c.externalId },
  { header: 'name', value: (c: Candidate) => c.name },
  { header: 'emails', value: (c: Candidate) => c.emails.join(' ') },
];

/** a tenant's candidates whose name, address or external id has every word, best first */
const search = (globals: () => GlobalOptions) => (words: string[], options: { tenant: string; limit: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const found = await searchCandidates(ctx, EVERY_TENANT, options.tenant, words.join(' '), parseLimit(options.limit));
    if (options.json) return printJson(found.map(candidateJson));
    printTable(found, CANDIDATE_COLUMNS, `no candidate of ${options.tenant} has every word of "${words.join(' ')}"`);
  });

/** show one candidate */
const show = (globals: () => GlobalOptions) => (externalId: string, options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const candidate = await findCandidate(ctx.candidates, externalId, options.tenant);
    if (options.json) return printJson(candidateJson(candidate));
    printFields([
      ['external id', candidate.externalId],
      ['name', candidate.name],
      ['emails', candidate.emails.join(', ')],
      ['created', candidate.createdAt],
      ['updated', candidate.updatedAt],
    ]);
  });

/** remove a candidate */
const remove = (globals: () => GlobalOptions) => (externalId: string, options: { tenant?: string }) =>
  withContext(globals(), async (ctx) => {
    const candidate = await findCandidate(ctx.candidates, externalId, options.tenant);
    await removeCandidate(ctx, EVERY_TENANT, candidate.tenant, externalId);
    process.stdout.write(`removed candidate ${externalId} of tenant ${candidate.tenant}\n`);
  });

export function registerCandidateCommands(program: Command, globals: () => GlobalOptions): void {
  const candidates = program.command('candidates').description("a tenant's candidates and their email addresses");

  candidates
    .command('add')
    .description('add a candidate (or replace the one with the same external id)')
    .requiredOption('--tenant <slug>', 'the tenant')
    .requiredOption('--external-id <id>', "the ATS's id for the candidate")
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--email <address>', 'an email address (repeatable)', collect, [])
    .option('--json', 'print the candidate as JSON')
    .action(add(globals));

  candidates
    .command('import <file>')
    .description('upsert candidates by external id from CSV (external_id,name,email[,email2...]) or JSON')
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--json', 'print the summary as JSON')
    .action(importCommand(globals));

  candidates
    .command('list')
    .description("list a tenant's candidates")
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  candidates
    .command('search <words...>')
    .description("a tenant's candidates whose name, address or external id has every word, best first")
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--limit <n>', 'at most this many (20 at most)', '10')
    .option('--json', 'print a JSON array')
    .action(search(globals));

  candidates
    .command('show <externalId>')
    .description('show one candidate')
    .option('--tenant <slug>', 'the tenant (needed only when several have this external id)')
    .option('--json', 'print a JSON object')
    .action(show(globals));

  candidates
    .command('remove <externalId>')
    .description('remove a candidate')
    .option('--tenant <slug>', 'the tenant (needed only when several have this external id)')
    .action(remove(globals));
}

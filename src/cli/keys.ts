// mailroom keys list|rotate|rotate-tokens|remove-token-key: the secret key that
// seals passwords at rest, and the keys that sign reply tokens.
import type { Command } from 'commander';
import { addReplyTokenKey, listKeys, removeReplyTokenKey, rotateSecretKey } from '../operations/keys.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printJson } from './output.ts';

/** which keys exist and what they seal or sign (never the keys themselves) */
const list = (globals: () => GlobalOptions) => (options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const result = await listKeys(ctx);
    if (options.json) return printJson(result);
    process.stdout.write(`secret key ${result.secretKey.id} (${result.secretKey.source})\n`);
    for (const [id, n] of Object.entries(result.sealedSecretsByKey))
      process.stdout.write(`  ${n} secret(s) sealed with ${id}${id === result.secretKey.id ? '' : ' (run `npx mailroom keys rotate`)'}\n`);
    process.stdout.write(
      `reply-token keys: ${result.tokenKeys.map((k) => `${k.kid}${k.signing ? ' (signing)' : ''} from ${k.createdAt}`).join(', ') || 'none yet (made on the first send)'}\n`,
    );
  });

/** re-seal every stored secret with a new key (key file), or with MAILROOM_SECRET_KEY after MAILROOM_SECRET_PREVIOUS_KEY */
const rotate = (globals: () => GlobalOptions) => (options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const result = await rotateSecretKey(ctx);
    if (options.json) return printJson(result);
    process.stdout.write(`re-sealed ${result.resealed} secret(s) with key ${result.keyId} (${result.source})\n`);
    if (result.source === 'environment' && result.previousKeyIds.length > 0)
      process.stdout.write('now remove MAILROOM_SECRET_PREVIOUS_KEY and restart mailroom\n');
    if (result.source === 'key file')
      process.stdout.write('restart `npx mailroom serve` so it reads the new key file; back the key file up with the database\n');
  });

/** add a new reply-token signing key; tokens already sent keep working */
const rotateTokens = (globals: () => GlobalOptions) => () =>
  withContext(globals(), (ctx) => {
    const kid = addReplyTokenKey(ctx);
    process.stdout.write(
      `new reply-token key ${kid} signs from now on; remove an old one with \`npx mailroom keys remove-token-key KID\` once its replies have stopped\n`,
    );
  });

/** remove an old reply-token key: replies with its tokens become bad_token */
const removeTokenKey = (globals: () => GlobalOptions) => (kid: string) =>
  withContext(globals(), async (ctx) => {
    await removeReplyTokenKey(ctx, kid);
    process.stdout.write(`removed reply-token key ${kid}\n`);
  });

export function registerKeyCommands(program: Command, globals: () => GlobalOptions): void {
  const keys = program.command('keys').description('the secret key (secrets at rest) and the reply-token keys');

  keys
    .command('list')
    .description('which keys exist and what they seal or sign (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(list(globals));

  keys
    .command('rotate')
    .description('re-seal every stored secret with a new key (key file), or with MAILROOM_SECRET_KEY after MAILROOM_SECRET_PREVIOUS_KEY')
    .option('--json', 'print JSON')
    .action(rotate(globals));

  keys.command('rotate-tokens').description('add a new reply-token signing key; tokens already sent keep working').action(rotateTokens(globals));

  keys.command('remove-token-key <kid>').description('remove an old reply-token key: replies with its tokens become bad_token').action(removeTokenKey(globals));
}

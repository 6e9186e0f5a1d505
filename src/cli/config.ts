// mailroom config keys|check: what can be configured, and whether the current
// configuration is valid.
import type { Command } from 'commander';
import { configKeys } from '../config/index.ts';
import { loadCliConfig } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printJson, printTable } from './output.ts';

export function registerConfigCommands(program: Command, globals: () => GlobalOptions): void {
  const config = program.command('config').description('configuration keys and validation');

  config
    .command('keys')
    .description('every configuration key with its environment variable, default and meaning')
    .option('--json', 'print a JSON array')
    .action((options: { json?: boolean }) => {
      const keys = configKeys();
      if (options.json) return printJson(keys);
      printTable(
        keys,
        [
          { header: 'key', value: (k) => k.path },
          { header: 'environment variable', value: (k) => k.env },
          { header: 'default', value: (k) => JSON.stringify(k.defaultValue) },
          { header: 'meaning', value: (k) => k.description },
        ],
        'no keys',
      );
    });

  config
    .command('check')
    .description('load and validate the configuration (file and environment), print the result as JSON')
    .action(() => {
      const loaded = loadCliConfig(globals());
      // Never print a secret: say whether one is set.
      const mask = (value: string): string => (value ? '(set)' : '');
      printJson({ ...loaded, secret: { key: mask(loaded.secret.key), previousKey: mask(loaded.secret.previousKey) } });
    });
}

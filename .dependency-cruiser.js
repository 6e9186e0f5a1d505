// The layers of src/, top to bottom, as docs/architecture.md draws them. A
// module may import its own layer and the layers below it, never one above,
// and no import may close a circle. `npm run lint:layers` checks it (CI too).
const LAYERS = [
  { name: 'command line', folders: ['cli'] },
  { name: 'composition root', folders: ['server'] },
  { name: 'web interfaces', folders: ['http', 'console'] },
  { name: 'operations', folders: ['operations'] },
  { name: 'the work', folders: ['checks', 'relay', 'inbox', 'pipeline'] },
  { name: 'intake and delivery', folders: ['smtp', 'commit', 'webhooks'] },
  { name: 'context', folders: ['context.ts'] },
  { name: 'views', folders: ['views'] },
  { name: 'storage', folders: ['store'] },
  { name: 'stages', folders: ['auth', 'parse', 'classify', 'reply', 'match'] },
  { name: 'leaves', folders: ['dns', 'net', 'secrets', 'config', 'imap-client', 'runtime', 'errors.ts', 'log.ts'] },
];

const pathOf = (folders) => `^src/(${folders.map((f) => f.replace('.', '\\.')).join('|')})($|/)`;

const uphill = LAYERS.slice(1).map((layer, index) => ({
  name: `no-uphill-from-${layer.name.replace(/ /g, '-')}`,
  comment: `${layer.name} (${layer.folders.join(', ')}) imports only its own layer and those below it`,
  severity: 'error',
  from: { path: pathOf(layer.folders) },
  to: { path: pathOf(LAYERS.slice(0, index + 1).flatMap((l) => l.folders)) },
}));

export default {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a circle of imports', from: { path: '^src/' }, to: { circular: true } },
    ...uphill,
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment: 'the typed client (the mailroom/client export) is taken by platforms alone: it imports nothing else of src/',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: '^src/client/' },
    },
    {
      name: 'examples-use-the-client',
      severity: 'error',
      comment: "examples/ is a platform's code (the documentation shows it): it reaches mailroom through the typed client only",
      from: { path: '^examples/' },
      to: { path: '^src/', pathNot: '^src/client/' },
    },
    {
      name: 'cli-start-stays-light',
      severity: 'error',
      comment:
        "the command line's entry loads only commander, the global options and the error types before a command runs; a command's modules (config, the store, the server) load when it runs, so --help starts in tens of milliseconds",
      from: { path: '^src/cli/(main|main-entry|globals)\\.ts$' },
      to: {
        pathNot: '^(src/cli/(main|globals)\\.ts|src/errors\\.ts)$|(^|/)node_modules/commander/',
        dependencyTypesNot: ['dynamic-import', 'core', 'type-only'],
      },
    },
    {
      name: 'tests-beside-their-support',
      severity: 'error',
      comment: 'test infrastructure lives under test/ (scripts may import it, not the other way round)',
      from: { path: '^test/' },
      to: { path: '^scripts/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sqlOnlyInStore = 'SQL lives in src/store/: add a repository method there';
const driverOnlyInStore = { name: 'better-sqlite3', message: 'the database driver is used in src/store/ only: add a repository method there' };
const builtOnceInStore =
  'repositories are built once over a connection (store/repositories.ts: createRepositories, via createContext or a thread entry): take them as an argument';
const connectionOnlyAtTheRoots =
  'the connection is for the composition roots (server/, context.ts, commit/, the thread entries) and tests: go through the repositories';
const interfacesOnlyOutside = [
  { group: ['**/cli/**', '../cli/*'], message: 'domain code does not import the CLI: throw a domain error and let the CLI word it' },
  { group: ['**/http/**', '../http/*'], message: 'domain code does not import the HTTP API: throw a domain error and let the API word it' },
  { group: ['commander', 'hono', '@hono/*'], message: 'domain code does not depend on an interface framework' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Storage answers with promises: one left unawaited is a write that may not have happened, or an error nobody hears.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // The storage boundary: SQL and the database driver live in src/store/ only,
    // so a second backend fits behind the store's interface without touching the rest.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [driverOnlyInStore] }],
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name=/^(prepare|pragma)$/]', message: sqlOnlyInStore },
        { selector: 'TemplateLiteral > TemplateElement[value.raw=/\\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\\s/]', message: sqlOnlyInStore },
        { selector: 'Literal[value=/^\\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH RECURSIVE)\\s/]', message: sqlOnlyInStore },
        { selector: 'NewExpression[callee.name=/(Store|Queries|Reader|Lookups|Secrets|TokenSource)$/]', message: builtOnceInStore },
      ],
    },
  },
  {
    // Only the composition roots hold a connection; everything else gets repositories.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', 'src/runtime/**', 'src/server/**', 'src/context.ts', 'src/commit/**', 'src/*/*-thread.ts'],
    rules: {
      'no-restricted-properties': ['error', { property: 'db', message: connectionOnlyAtTheRoots }],
    },
  },
  {
    // Domain folders know nothing of the interfaces that call them (the store may use its driver).
    files: ['src/{auth,parse,classify,reply,match,pipeline,relay,webhooks,secrets,net,checks,operations,commit}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [driverOnlyInStore], patterns: interfacesOnlyOutside }] },
  },
  {
    // The store is the bottom layer: it imports no views (views import store types),
    // no operations, no write-path machinery and no interface.
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...interfacesOnlyOutside,
            { group: ['**/views/**', '../views/*'], message: 'store types do not import views: the caller renders (webhooks/announce.ts)' },
            { group: ['**/operations/**', '**/commit/**', '**/webhooks/**'], message: 'the store is the bottom layer: it imports none of the layers above it' },
          ],
        },
      ],
    },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sqlOnlyInStore = 'SQL lives in src/store/: add a repository method there';
const driverOnlyInStore = { name: 'better-sqlite3', message: 'the database driver is used in src/store/ only: add a repository method there' };
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
      ],
    },
  },
  {
    // Domain folders know nothing of the interfaces that call them (the store may use its driver).
    files: ['src/{auth,parse,classify,reply,match,pipeline,relay,webhooks,secrets,net,checks}/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [driverOnlyInStore], patterns: interfacesOnlyOutside }] },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: interfacesOnlyOutside }] },
  },
);

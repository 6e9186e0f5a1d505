// node scripts/config-docs.ts
// Rewrites the generated table of docs/configuration.md from the schema
// (src/config/schema.ts), between its two marker lines. A unit test fails
// while the file and the schema disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { configReferenceTable } from '../src/config/reference.ts';

const file = 'docs/configuration.md';
const BEGIN = '<!-- generated from src/config/schema.ts by scripts/config-docs.ts: do not edit by hand -->';
const END = '<!-- end of generated table -->';
const text = readFileSync(file, 'utf8');
const start = text.indexOf(BEGIN);
const end = text.indexOf(END);
if (start < 0 || end < start) throw new Error(`${file} has no generated-table markers`);
writeFileSync(file, `${text.slice(0, start + BEGIN.length)}\n${configReferenceTable()}\n${text.slice(end)}`);
process.stdout.write(`wrote the configuration table of ${file}\n`);

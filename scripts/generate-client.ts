// `npm run client:generate`: rebuilds the typed client's schema
// (src/client/schema.ts) from the API's OpenAPI document. Run it whenever a
// route or schema changes; the client test fails until you do.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument, clientSchemaSource, CLIENT_SCHEMA_PATH } from '../test/support/client-schema.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = await clientSchemaSource(await buildOpenApiDocument(), root);
writeFileSync(join(root, CLIENT_SCHEMA_PATH), source);
console.log(`wrote ${CLIENT_SCHEMA_PATH}`);

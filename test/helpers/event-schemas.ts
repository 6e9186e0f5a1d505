// Webhook events checked against the served OpenAPI document: each event type's
// schema is taken from /openapi.json (its `webhooks` section) and compiled with
// a JSON Schema 2020-12 validator, so what the receivers get and what the
// document promises cannot drift apart.
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Null when the event follows its type's schema, else what is wrong with it. */
export type EventCheck = (event: unknown) => string | null;

interface OpenApiDocument {
  components?: unknown;
  webhooks?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: object }> } } }>;
}

export async function eventValidator(baseUrl: string): Promise<EventCheck> {
  const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as OpenApiDocument;
  // strict off: OpenAPI adds keywords of its own (example, discriminator); formats are the document's business, not this check's.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validators = new Map(
    Object.entries(doc.webhooks ?? {}).map(([type, item]) => {
      const schema = item.post?.requestBody?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`the document's webhook ${type} has no JSON body schema`);
      // References point into the document's components: compiled with them at its root.
      return [type, ajv.compile({ ...schema, components: doc.components })] as const;
    }),
  );
  if (validators.size === 0) throw new Error('the OpenAPI document describes no webhooks');
  return (event) => {
    const type = (event as { type?: unknown }).type;
    const validate = typeof type === 'string' ? validators.get(type) : undefined;
    if (!validate) return `the document has no schema for the event type ${String(type)}`;
    return validate(event) ? null : `${type} ${(event as { id?: string }).id}: ${ajv.errorsText(validate.errors)}`;
  };
}

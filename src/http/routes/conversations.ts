// Threads: GET /v1/conversations/{id} (its messages in and out, oldest first,
// a page at a time) and GET /v1/candidates/{externalId}/conversations.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { candidateConversations, conversationThread, type ThreadEntry, type ThreadPlace } from '../../operations/index.ts';
import { conversationJson, messageJson, outboundJson } from '../../views/index.ts';
import type { ThreadItem } from '../../views/schemas.ts';
import type { ApiDeps, ApiEnv } from '../deps.ts';
import { InvalidError } from '../../errors.ts';
import { ConversationSchema, page, PageQuery, ThreadItemSchema } from '../schemas.ts';
import { json, NumericId, problem, security } from './shared.ts';
import { decodeCursor, encodeCursor, tenantIn } from './scope.ts';

const ThreadSchema = ConversationSchema.extend({
  items: z.array(ThreadItemSchema).openapi({ description: 'its messages in (`direction: "in"`, Message JSON) and out (`"out"`, Outbound JSON), oldest first' }),
  nextCursor: z.string().nullable(),
}).openapi('Thread');

const item = (e: ThreadEntry): ThreadItem =>
  e.direction === 'in' ? { ...messageJson(e.message), direction: 'in' } : { ...outboundJson(e.outbound), direction: 'out' };

/** A thread cursor: the time and id of the last message of the previous page. */
function placeOf(cursor: string | undefined): ThreadPlace | null {
  const text = decodeCursor(cursor);
  if (text === null) return null;
  const [at, id] = text.split('|');
  if (!at || !id) throw new InvalidError('not a cursor this list gave', 'cursor');
  return { at, id };
}

/** GET /v1/conversations/{id}. */
function showConversation(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conversations/{id}',
      security,
      request: { params: NumericId, query: PageQuery },
      responses: { 200: json(ThreadSchema, 'the conversation and a page of its messages, oldest first'), 404: problem('no such conversation') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const thread = await conversationThread(ctx, c.get('scope'), c.req.valid('param').id, placeOf(q.cursor), q.limit);
      return c.json(
        {
          ...conversationJson(thread.conversation, thread.candidate),
          items: thread.items.map(item),
          nextCursor: thread.next ? encodeCursor(`${thread.next.at}|${thread.next.id}`) : null,
        },
        200,
      );
    },
  );
}

/** GET /v1/candidates/{externalId}/conversations: newest first. */
function candidateThreads(app: OpenAPIHono<ApiEnv>, { ctx }: ApiDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/candidates/{externalId}/conversations',
      security,
      request: {
        params: z.object({
          externalId: z
            .string()
            .min(1)
            .max(200)
            .openapi({ param: { name: 'externalId', in: 'path' } }),
        }),
        query: PageQuery.extend({ tenant: z.string().max(100).optional().openapi({ description: "a subcompany's slug (default: the token's tenant)" }) }),
      },
      responses: {
        200: json(page(ConversationSchema, 'ConversationPage'), "the candidate's conversations, newest first"),
        404: problem('no such candidate or tenant'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const scope = c.get('scope');
      const cursor = decodeCursor(q.cursor);
      const beforeId = cursor === null ? null : Number(cursor);
      if (beforeId !== null && !Number.isSafeInteger(beforeId)) throw new InvalidError('not a cursor this list gave', 'cursor');
      const tenant = await tenantIn(ctx, scope, q.tenant);
      const found = await candidateConversations(ctx, scope, tenant.slug, c.req.valid('param').externalId, beforeId, q.limit);
      const items = found.conversations.map((conversation) => conversationJson(conversation, found.candidate));
      const last = items[items.length - 1];
      return c.json({ items, nextCursor: found.more && last ? encodeCursor(String(last.id)) : null }, 200);
    },
  );
}

export function conversationRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  showConversation(app, deps);
  candidateThreads(app, deps);
}

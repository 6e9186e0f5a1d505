// What leaves mailroom, for administrators and operators: webhook endpoints
// with their delivery log (replay one delivery), and the outbound queue with
// each message's last reply from the provider.
import type { Hono } from 'hono';
import { replayDelivery, webhookDeliveries, type Reach } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { accountNames, adminOnly, PAGE, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { deliveriesPage, outboundPage, webhooksPage } from '../pages-outgoing.ts';

export function outgoingRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  for (const path of ['/webhooks', '/webhooks/*', '/outbound']) app.use(path, adminOnly);
  app.get('/webhooks', showWebhooks(ctx));
  app.get('/webhooks/:id', showDeliveries(ctx));
  app.post('/webhooks/:id/deliveries/:eventId/replay', replay(ctx));
  app.get('/outbound', showOutbound(ctx));
}

const tenantIdsOf = (c: ConsoleContext): readonly number[] | undefined => {
  const { reach } = c.get('signedIn');
  return reach.tenantIds === 'all' ? undefined : reach.tenantIds;
};

const showWebhooks = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, csrf } = c.get('signedIn');
  return c.html(webhooksPage(user, csrf, await ctx.webhooks.list(tenantIdsOf(c))));
};

const showDeliveries = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const { webhook, deliveries } = await webhookDeliveries(ctx, reach, Number(c.req.param('id')), PAGE * 2);
  const replayed = c.req.query('replayed');
  return c.html(
    deliveriesPage(
      user,
      csrf,
      webhook,
      deliveries,
      replayed ? `Event ${replayed} queued for delivery again.` : null,
      await aboutWords(
        ctx,
        reach,
        deliveries.map((d) => d.subject),
      ),
    ),
  );
};

/** Queued now; the relay finds it at its next look (webhooks.pollIntervalMs). */
const replay = (ctx: Context) => async (c: ConsoleContext) => {
  const id = Number(c.req.param('id'));
  const eventId = c.req.param('eventId') ?? '';
  await replayDelivery(ctx, c.get('signedIn').reach, id, eventId);
  return c.redirect(`/console/webhooks/${id}?replayed=${encodeURIComponent(eventId)}`, 303);
};

const showOutbound = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, csrf } = c.get('signedIn');
  const status = c.req.query('status') ?? '';
  const before = c.req.query('before');
  const tenantIds = tenantIdsOf(c);
  const found = await ctx.outbound.list({
    limit: PAGE + 1,
    ...(status ? { status } : {}),
    ...(before ? { before } : {}),
    ...(tenantIds ? { tenantIds } : {}),
  });
  const messages = found.slice(0, PAGE);
  const older = found.length > PAGE ? (messages[messages.length - 1]?.id ?? null) : null;
  return c.html(outboundPage(user, csrf, messages, status, older, await accountNames(ctx, c.get('signedIn').reach)));
};

/** What each event was about, in words: a message by its subject and sender, an account by its name. */
async function aboutWords(ctx: Context, reach: Reach, subjects: string[]): Promise<Map<string, string>> {
  const words = new Map<string, string>();
  const accounts = subjects.some((s) => s.startsWith('account:')) ? await accountNames(ctx, reach) : new Map<number, string>();
  for (const subject of new Set(subjects)) {
    if (subject.startsWith('account:')) {
      const name = accounts.get(Number(subject.slice('account:'.length)));
      if (name) words.set(subject, `account ${name}`);
    } else if (/^[0-9A-Z]{26}$/.test(subject)) {
      const m = await ctx.messages.get(subject);
      if (m) words.set(subject, `“${m.subject ?? '(no subject)'}” from ${m.from ?? m.envelope.mailFrom}`);
    }
  }
  return words;
}

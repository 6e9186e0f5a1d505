// Removing a sending account, for administrators and operators: a page that
// names the account and asks once more, then the removal (the messages it
// sent stay).
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { accountWithin, removeAccount } from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { adminOnly, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { page } from '../layout.ts';

export function accountRemoveRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  app.use('/accounts/:id/remove', adminOnly);
  app.get('/accounts/:id/remove', confirm(ctx));
  app.post('/accounts/:id/remove', remove(ctx));
}

const confirm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const a = await accountWithin(ctx, reach, Number(c.req.param('id')));
  return c.html(
    page(
      `Remove ${a.name}`,
      html`<h1>Remove the account “${a.name}”?</h1>
        <p>
          It sends as ${a.fromAddress} for ${a.tenant}${a.isDefault ? ', and is the default account' : ''}. Messages it sent stay; nothing more is sent through
          it.
        </p>
        <form method="post" action="/console/accounts/${a.id}/remove">
          <input type="hidden" name="csrf" value="${csrf}" />
          <button class="primary">Remove “${a.name}”</button>
          <a href="/console/accounts">Cancel</a>
        </form>`,
      user,
      csrf,
    ),
  );
};

const remove = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const a = await removeAccount(ctx, reach, Number(c.req.param('id')));
  return c.html(
    page(
      'Account removed',
      html`<h1>Account removed</h1>
        <p class="notice" role="status">Removed the account “${a.name}” (${a.fromAddress}).</p>
        <p><a href="/console/accounts">← Accounts</a></p>`,
      user,
      csrf,
    ),
  );
};

// Sending accounts, for administrators and operators: the table, "Test
// connection" (each stage, or "Status: OK"), "Send test email" (runs on in the
// background; the page looks again until the message is back) and "Make default".
import type { Hono } from 'hono';
import { DomainError } from '../../errors.ts';
import {
  accountWithin,
  addAccount,
  editAccount,
  listAccounts,
  makeDefaultAccount,
  sendAccountTestEmail,
  signInApp,
  tenantsWithin,
  testAccount,
} from '../../operations/index.ts';
import type { Context } from '../../context.ts';
import { adminOnly, field, type ConsoleContext, type ConsoleEnv } from '../helpers.ts';
import { accountEditPage, accountFormPage, editFormOf, type AccountForm } from '../pages-account-form.ts';
import { accountsPage } from '../pages.ts';

/** A test email on its way, by account: shown on the accounts page until the next test. */
type TestEmails = Map<number, { waiting: boolean; ok: boolean; text: string }>;

export function accountRoutes(app: Hono<ConsoleEnv>, ctx: Context): void {
  const testEmails: TestEmails = new Map();
  app.use('/accounts', adminOnly);
  app.use('/accounts/*', adminOnly);
  app.get('/accounts', showAccounts(ctx, testEmails));
  app.get('/accounts/new', showAccountForm(ctx));
  app.post('/accounts/new', addFromForm(ctx));
  app.get('/accounts/:id/edit', showEditForm(ctx));
  app.post('/accounts/:id/edit', saveEdit(ctx));
  app.post('/accounts/:id/test', testConnection(ctx));
  app.post('/accounts/:id/test-email', sendTestEmail(ctx, testEmails));
  app.post('/accounts/:id/default', makeDefault(ctx));
}

const showAccounts = (ctx: Context, testEmails: TestEmails) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const accounts = await listAccounts(ctx, reach);
  const shown = accounts.flatMap((a) => {
    const test = testEmails.get(a.id);
    return test ? [{ id: a.id, ...test }] : [];
  });
  return c.html(accountsPage(user, csrf, accounts, null, shown));
};

const testConnection = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const id = Number(c.req.param('id'));
  const { result } = await testAccount(ctx, reach, id);
  const text = result.ok ? 'Status: OK' : `failed at ${result.stage}: ${result.error ?? ''}. What to do: ${result.advice ?? ''}`;
  return c.html(accountsPage(user, csrf, await listAccounts(ctx, reach), { id, text, ok: result.ok }, []));
};

/** The round trip takes seconds: it runs on, and the page looks again every two seconds until it is back. */
const sendTestEmail = (ctx: Context, testEmails: TestEmails) => async (c: ConsoleContext) => {
  const reach = c.get('signedIn').reach;
  // Out of reach is not found here, before anything is recorded: another tenant's account is not even named on its page.
  const { id } = await accountWithin(ctx, reach, Number(c.req.param('id')));
  if (testEmails.get(id)?.waiting !== true) {
    testEmails.set(id, { waiting: true, ok: false, text: 'test email sent; waiting for it to come back through our MX' });
    void sendAccountTestEmail(ctx, reach, id, { timeoutMs: ctx.config.checks.forwardingTimeoutMs })
      .then(({ result }) =>
        testEmails.set(id, {
          waiting: false,
          ok: result.ok,
          text: result.ok ? `the test email came back in ${result.roundTripMs} ms: Active` : `${result.error ?? 'failed'}. What to do: ${result.advice ?? ''}`,
        }),
      )
      .catch((err: Error) => testEmails.set(id, { waiting: false, ok: false, text: err.message }));
  }
  return c.redirect('/console/accounts', 303);
};

const makeDefault = (ctx: Context) => async (c: ConsoleContext) => {
  await makeDefaultAccount(ctx, c.get('signedIn').reach, Number(c.req.param('id')));
  return c.redirect('/console/accounts', 303);
};

/** The slugs of the tenants the user reaches: where an account may be added. */
const tenantsOf = async (ctx: Context, c: ConsoleContext): Promise<string[]> => (await tenantsWithin(ctx, c.get('signedIn').reach)).map((t) => t.slug);

const showAccountForm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, csrf } = c.get('signedIn');
  const signIns = ['google', 'microsoft'].filter((p) => signInApp(ctx.config, p));
  return c.html(accountFormPage(user, csrf, await tenantsOf(ctx, c), { tenant: user.tenant ?? '' }, null, signIns));
};

const FORM_FIELDS = ['tenant', 'name', 'provider', 'fromName', 'from', 'replyTo', 'host', 'port', 'security', 'username', 'delayMs', 'isDefault', 'tlsCa'];

/** A number typed in the form, or undefined when left empty (the preset's, or the default, then applies). */
const optionalNumber = (value: string | undefined): number | undefined => (value ? Number(value) : undefined);

const addFromForm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const body = await c.req.parseBody();
  const form: AccountForm = Object.fromEntries(FORM_FIELDS.map((name) => [name, field(body, name).trim()]));
  try {
    const { account } = await addAccount(ctx, reach, {
      tenant: form['tenant'] ?? '',
      name: form['name'] ?? '',
      provider: form['provider'] ?? 'custom',
      host: form['host'] || undefined,
      port: optionalNumber(form['port']),
      security: form['security'] || undefined,
      username: form['username'] ?? '',
      credentials: { password: field(body, 'password') },
      from: form['from'] ?? '',
      fromName: form['fromName'] || undefined,
      replyTo: form['replyTo'] || undefined,
      delayMs: optionalNumber(form['delayMs']),
      tlsCa: form['tlsCa'] || null,
      isDefault: form['isDefault'] === '1',
    });
    return c.redirect(`/console/accounts?added=${account.id}`, 303);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return c.html(accountFormPage(user, csrf, await tenantsOf(ctx, c), form, err.message), 400);
  }
};

const showEditForm = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const account = await accountWithin(ctx, reach, Number(c.req.param('id')));
  return c.html(accountEditPage(user, csrf, account, editFormOf(account), null));
};

const EDIT_FIELDS = ['host', 'port', 'security', 'username', 'from', 'fromName', 'replyTo', 'delayMs', 'tlsCa'];

const saveEdit = (ctx: Context) => async (c: ConsoleContext) => {
  const { user, reach, csrf } = c.get('signedIn');
  const account = await accountWithin(ctx, reach, Number(c.req.param('id')));
  const body = await c.req.parseBody();
  const form: AccountForm = Object.fromEntries(EDIT_FIELDS.map((name) => [name, field(body, name).trim()]));
  try {
    await editAccount(ctx, reach, account.id, {
      host: form['host'] ?? '',
      port: Number(form['port']),
      security: form['security'] ?? '',
      username: form['username'] ?? '',
      password: field(body, 'password') || undefined,
      from: form['from'] ?? '',
      fromName: form['fromName'] || null,
      replyTo: form['replyTo'] ?? '',
      delayMs: Number(form['delayMs'] || '0'),
      tlsCa: form['tlsCa'] || null,
    });
    return c.redirect(`/console/accounts?edited=${account.id}`, 303);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return c.html(accountEditPage(user, csrf, account, form, err.message), 400);
  }
};

// The form that adds a sending account, with PCRecruiter's fields: the provider
// preset fills in the server, port and security it knows (a provider without a
// fixed host, like SES or a custom server, needs the server named).
import { html } from 'hono/html';
import { PROVIDERS } from '../relay/providers.ts';
import type { Account, ConsoleUser } from '../store/index.ts';
import { page, type Html } from './pages.ts';

/** What the administrator typed, sent back with the error so nothing is typed twice (never the password). */
export type AccountForm = Record<string, string>;

const text = (form: AccountForm, name: string, label: string, extra: { type?: string; required?: boolean; placeholder?: string; hint?: string } = {}): Html =>
  html`<p>
    <label
      >${label}
      <input
        name="${name}"
        type="${extra.type ?? 'text'}"
        value="${form[name] ?? ''}"
        ${extra.required ? 'required' : ''}
        placeholder="${extra.placeholder ?? ''}"
    /></label>
    ${extra.hint ? html`<br /><span class="muted">${extra.hint}</span>` : ''}
  </p>`;

/** Which company (tenant) the account is for, among those the user reaches. */
const companySelect = (tenants: string[], chosen: string | null | undefined): Html =>
  html`<p>
    <label
      >Company
      <select name="tenant">
        ${tenants.map((t) => html`<option value="${t}" ${t === chosen ? 'selected' : ''}>${t}</option>`)}
      </select></label
    >
  </p>`;

export function accountFormPage(user: ConsoleUser, csrf: string, tenants: string[], form: AccountForm, error: string | null, signIns: string[] = []): Html {
  const provider = form['provider'] ?? 'gmail';
  return page(
    'Add an account',
    html`<h1>Add a sending account</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${
        signIns.length > 0
          ? html`<p>
              ${signIns.map((p) => html`<a class="button" href="/console/accounts/sign-in/${p}">Sign in with ${p === 'google' ? 'Google' : 'Microsoft'}</a> `)}
              or fill in the server and an app password:
            </p>`
          : ''
      }
      <form method="post" action="/console/accounts/new">
        <input type="hidden" name="csrf" value="${csrf}" />
        ${companySelect(tenants, form['tenant'])} ${text(form, 'name', 'Account name', { required: true, placeholder: 'careers' })}
        <p>
          <label
            >Provider
            <select name="provider">
              ${Object.entries(PROVIDERS).map(
                ([name, preset]) =>
                  html`<option value="${name}" ${name === provider ? 'selected' : ''}>
                    ${name}${preset.host ? ` (${preset.host}:${preset.port}, ${preset.security})` : ''}
                  </option>`,
              )}
            </select></label
          >
        </p>
        ${text(form, 'fromName', 'From name', { placeholder: 'Acme Careers' })}
        ${text(form, 'from', 'From address', { type: 'email', required: true, placeholder: 'careers@acme.com' })}
        ${text(form, 'replyTo', 'Reply-to name on the reply domain', { placeholder: 'careers', hint: 'replies come back to <this>+<token>@<reply domain>' })}
        ${text(form, 'host', 'Server', { placeholder: 'from the provider', hint: 'leave empty to use the provider preset' })}
        ${text(form, 'port', 'Port', { type: 'number', placeholder: 'from the provider' })}
        <p>
          <label
            >SSL/TLS
            <select name="security">
              ${['', 'tls', 'starttls'].map(
                (s) =>
                  html`<option value="${s}" ${s === (form['security'] ?? '') ? 'selected' : ''}>
                    ${s === '' ? 'from the provider' : s === 'tls' ? 'SSL/TLS (implicit)' : 'STARTTLS'}
                  </option>`,
              )}
            </select></label
          >
        </p>
        ${text(form, 'username', 'Username', { required: true, placeholder: 'careers@acme.com' })}
        <p>
          <label>App password <input name="password" type="password" required autocomplete="new-password" /></label>
        </p>
        ${text(form, 'delayMs', 'Delay between emails (ms)', { type: 'number', placeholder: '0' })} ${tlsCaField(form)}
        <p>
          <label><input type="checkbox" name="isDefault" value="1" ${form['isDefault'] === '1' ? 'checked' : ''} /> Make it the default</label>
        </p>
        <p><button>Add account</button></p>
      </form>
      <p class="muted">Added as Pending; "Test connection" and "Send test email" on the accounts page make it Active.</p>`,
    user,
    csrf,
  );
}

/** Before leaving for the provider: which company, what to call the account, and (rarely) a server other than the preset's. */
export function signInFormPage(user: ConsoleUser, csrf: string, provider: 'google' | 'microsoft', tenants: string[], redirectUri: string): Html {
  const name = provider === 'google' ? 'Google' : 'Microsoft';
  return page(
    `Sign in with ${name}`,
    html`<h1>Sign in with ${name}</h1>
      <p>You will sign in to the mailbox at ${name} and allow mailroom to send as it; you come back here and the account is added.</p>
      <form method="post" action="/console/accounts/sign-in/${provider}">
        <input type="hidden" name="csrf" value="${csrf}" />
        ${companySelect(tenants, user.tenant)} ${text({}, 'name', 'Account name', { required: true, placeholder: 'careers' })}
        ${text({}, 'host', 'Server', { placeholder: 'from the provider', hint: "leave empty for the provider's own SMTP server" })}
        ${text({}, 'port', 'Port', { type: 'number', placeholder: 'from the provider' })}
        <p>
          <label
            >SSL/TLS
            <select name="security">
              <option value="">from the provider</option>
              <option value="tls">SSL/TLS (implicit)</option>
              <option value="starttls">STARTTLS</option>
            </select></label
          >
        </p>
        <p>
          <label><input type="checkbox" name="isDefault" value="1" /> Make it the default</label>
        </p>
        <p><button>Continue to ${name}</button></p>
      </form>
      <p class="muted">The app's redirect URI at ${name} must be ${redirectUri}.</p>`,
    user,
    csrf,
  );
}

/** The private CA, on the add and the edit form alike. */
function tlsCaField(form: AccountForm): Html {
  return html`<details ${form['tlsCa'] ? 'open' : ''}>
    <summary>A server with a private certificate authority</summary>
    <p>
      <label
        >CA certificate (PEM)<br /><textarea name="tlsCa" rows="6" cols="64" placeholder="-----BEGIN CERTIFICATE-----">${form['tlsCa'] ?? ''}</textarea></label
      ><br /><span class="muted">only for a relay on your own network whose certificate no public authority signed; empty: the public authorities</span>
    </p>
  </details>`;
}

/** The form prefilled from an account, or from what was typed when it came back with an error. */
export function editFormOf(account: Account): AccountForm {
  return {
    host: account.host,
    port: String(account.port),
    security: account.security,
    username: account.username,
    from: account.fromAddress,
    fromName: account.fromName ?? '',
    replyTo: account.replyLocal,
    delayMs: String(account.delayMs),
    tlsCa: account.tlsCa ?? '',
  };
}

export function accountEditPage(user: ConsoleUser, csrf: string, account: Account, form: AccountForm, error: string | null): Html {
  return page(
    `Edit account ${account.id}`,
    html`<h1>Edit account ${account.id}: ${account.name}</h1>
      <p class="muted">${account.tenant} · ${account.provider} · ${account.authMethod === 'oauth2' ? 'signed in with OAuth2' : 'app password'}</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/console/accounts/${account.id}/edit">
        <input type="hidden" name="csrf" value="${csrf}" />
        ${text(form, 'fromName', 'From name')} ${text(form, 'from', 'From address', { type: 'email', required: true })}
        ${text(form, 'replyTo', 'Reply-to name on the reply domain', { required: true })} ${text(form, 'host', 'Server', { required: true })}
        ${text(form, 'port', 'Port', { type: 'number', required: true })}
        <p>
          <label
            >SSL/TLS
            <select name="security">
              ${['tls', 'starttls', ...(account.security === 'none' ? ['none'] : [])].map(
                (s) =>
                  html`<option value="${s}" ${s === form['security'] ? 'selected' : ''}>
                    ${s === 'tls' ? 'SSL/TLS (implicit)' : s === 'starttls' ? 'STARTTLS' : 'none'}
                  </option>`,
              )}
            </select></label
          >
        </p>
        ${text(form, 'username', 'Username', { required: true })}
        ${
          account.authMethod === 'password'
            ? html`<p>
                <label>New app password <input name="password" type="password" autocomplete="new-password" /></label><br /><span class="muted"
                  >empty: the stored one stays, as long as the server, port, SSL/TLS and username stay; a change of any of them needs it again</span
                >
              </p>`
            : html`<p class="muted">This account signs in with OAuth2: a change of server, port, SSL/TLS or username needs a new sign-in (add it again).</p>`
        }
        ${tlsCaField(form)} ${text(form, 'delayMs', 'Delay between emails (ms)', { type: 'number', required: true })}
        <p><button>Save</button> <a href="/console/accounts">Cancel</a></p>
      </form>
      <p class="muted">Saved settings are untested: the account is Pending until "Test connection" or "Send test email" passes.</p>`,
    user,
    csrf,
  );
}

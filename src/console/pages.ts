// The console's pages as HTML. Every value goes through hono/html, which
// escapes it: a sender's subject or name can never become markup here.
import { html } from 'hono/html';
import type { Account, Candidate, ConsoleUser, StoredMessage } from '../store/index.ts';
import { attachmentList, when } from './pages-queue.ts';
import { page, type Html } from './layout.ts';
import { errorWords } from './words.ts';

export { page, type Html } from './layout.ts';

export function loginPage(error: string | null, email = '', passwordSet = false): Html {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
      ${passwordSet ? html`<p class="notice" role="status">Your password is set. Sign in with it.</p>` : ''}
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/console/login">
        <p>
          <label>Email <input name="email" type="email" value="${email}" required autocomplete="username" /></label>
        </p>
        <p>
          <label>Password <input name="password" type="password" required autocomplete="current-password" /></label>
        </p>
        <p><button>Sign in</button></p>
      </form>`,
  );
}

export function setupPage(user: ConsoleUser, token: string, error: string | null): Html {
  return page(
    'Set your password',
    html`<h1>Set your password</h1>
      <p>For ${user.email}. At least 12 characters.</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <form method="post" action="/console/setup">
        <input type="hidden" name="token" value="${token}" />
        <p>
          <label>Password <input name="password" type="password" required minlength="12" autocomplete="new-password" /></label>
        </p>
        <p><button>Set password</button></p>
      </form>`,
  );
}

/** One line of a candidate's history: a message in or out. */
export interface ThreadItem {
  at: string;
  direction: 'in' | 'out';
  conversationId: number | null;
  subject: string;
  text: string;
  /** bounce, auto-reply, or the outbound status. */
  mark: string | null;
  href: string | null;
  /** The message received (for its attachments), for one coming in. */
  message: StoredMessage | null;
  /** The account that sent it, for one going out. */
  account: string | null;
}

export function conversationPage(user: ConsoleUser, csrf: string, candidate: Candidate, items: ThreadItem[], subjects: Map<number, string>, now: Date): Html {
  const groups = new Map<number | null, ThreadItem[]>();
  for (const item of items) groups.set(item.conversationId, [...(groups.get(item.conversationId) ?? []), item]);
  return page(
    candidate.name,
    html`<p><a href="/console/unassigned">← Unassigned</a></p>
      <h1>${candidate.name}</h1>
      <p class="muted">${candidate.emails.join(', ')} · ${candidate.tenant} · ${candidate.externalId}</p>
      ${items.length === 0 ? html`<p>No messages yet.</p>` : ''}
      ${[...groups].map(
        ([id, thread]) =>
          html`<section>
            <h2>${id === null ? 'Outside a conversation' : (subjects.get(id) ?? `Conversation ${id}`)}</h2>
            <ol class="thread">
              ${thread.map(
                (i) =>
                  html`<li>
                    <strong>${i.direction === 'in' ? '← from the candidate' : '→ to the candidate'}</strong>
                    ${i.account ? html`<span class="muted">sent with ${i.account}</span>` : ''} ${when(i.at, now)}
                    ${i.mark ? html`<span class="chip mark">${i.mark}</span>` : ''} ${i.href ? html`<a href="${i.href}">${i.subject}</a>` : i.subject}
                    <pre>${i.text}</pre>
                    ${i.message ? attachmentList(i.message) : ''}
                  </li>`,
              )}
            </ol>
          </section>`,
      )}`,
    user,
    csrf,
  );
}

export function accountsPage(
  user: ConsoleUser,
  csrf: string,
  accounts: Account[],
  result: { id: number; text: string; ok: boolean } | null,
  testEmails: { id: number; text: string; ok: boolean; waiting: boolean }[],
): Html {
  const method = (a: Account): string => (a.authMethod === 'oauth2' ? (a.provider === 'gmail' ? 'Google' : 'Microsoft') : 'SMTP');
  return page(
    'Accounts',
    html`<h1>Sending accounts</h1>
      <p><a href="/console/accounts/new">Add an account</a></p>
      ${result ? html`<p role="status" class="${result.ok ? '' : 'error'}">Account ${result.id}: ${result.text}</p>` : ''}
      ${testEmails.map((t) => html`<p class="${t.ok || t.waiting ? '' : 'error'}" data-test-email="${t.id}">Test email of account ${t.id}: ${t.text}</p>`)}
      <table class="stack">
        <thead>
          <tr>
            <th>Account</th>
            <th>Created</th>
            <th>Owner</th>
            <th>Management type</th>
            <th>Sending method</th>
            <th>Status</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          ${accounts.map(
            (a) =>
              html`<tr>
                <td data-label="Account"><strong>${a.name}</strong>${a.isDefault ? ' (default)' : ''} <span class="muted">#${a.id}</span></td>
                <td data-label="Created">${a.createdAt.slice(0, 10)}</td>
                <td data-label="Owner">${a.owner ?? a.tenant}</td>
                <td data-label="Management type">own account</td>
                <td data-label="Sending method">${method(a)} · ${a.fromAddress}</td>
                <td data-label="Status">
                  ${a.status === 'pending' ? 'Pending' : a.status === 'active' ? 'Active' : html`Failing: ${errorWords(a.lastError ?? '')}`}
                </td>
                <td data-label="Actions">
                  <a href="/console/accounts/${a.id}/edit" aria-label="Edit account ${a.id}">Edit</a>
                  <form class="inline" method="post" action="/console/accounts/${a.id}/test">
                    <input type="hidden" name="csrf" value="${csrf}" /><button>Test connection</button>
                  </form>
                  <form class="inline" method="post" action="/console/accounts/${a.id}/test-email">
                    <input type="hidden" name="csrf" value="${csrf}" /><button>Send test email</button>
                  </form>
                  ${
                    a.isDefault
                      ? ''
                      : html`<form class="inline" method="post" action="/console/accounts/${a.id}/default">
                          <input type="hidden" name="csrf" value="${csrf}" /><button>Make default</button>
                        </form>`
                  }
                  <a href="/console/accounts/${a.id}/remove" aria-label="Remove account ${a.name}">Remove</a>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${accounts.length === 0 ? html`<p>No account yet: add one above, or with <code>mailroom accounts add</code>.</p>` : ''}`,
    user,
    csrf,
    testEmails.some((t) => t.waiting) ? 2 : 0,
  );
}

/** One finding of the set-up check, as the checklist shows it. */
export interface Finding {
  status: 'ok' | 'warn' | 'fail';
  subject: string;
  check: string;
  found: string;
  advice: string | null;
}

export function checklistPage(
  user: ConsoleUser,
  csrf: string,
  tenant: string,
  findings: Finding[] | null,
  running: { sendTests: boolean; progress: string } | null,
): Html {
  const mark = { ok: '✓ ok', warn: '! warn', fail: '✗ fail' } as const;
  return page(
    'Set-up checklist',
    html`<h1>Set-up checklist: ${tenant}</h1>
      ${running ? html`<p role="status">Checking${running.sendTests ? ', with the forwarding test' : ''}: ${running.progress}</p>` : ''}
      ${
        findings
          ? html`<ul class="checklist">
              ${findings.map(
                (f) =>
                  html`<li>
                    <strong>${mark[f.status]}</strong> ${f.check} · ${f.subject}:
                    ${f.found}${f.advice ? html`<br /><span class="muted">What to do: ${f.advice}</span>` : ''}
                  </li>`,
              )}
            </ul>`
          : running
            ? ''
            : html`<p>Not checked yet.</p>`
      }
      <form method="post" action="/console/checklist">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button name="sendTests" value="0">Check again</button>
        <button name="sendTests" value="1">Run the forwarding test too</button>
      </form>`,
    user,
    csrf,
    running ? 2 : 0,
  );
}

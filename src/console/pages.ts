// The console's pages as HTML. Every value goes through hono/html, which
// escapes it: a sender's subject or name can never become markup here.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Account, Candidate, ConsoleUser, StoredMessage } from '../store/index.ts';
import type { AddressToRemember } from '../operations/index.ts';
import { reasonChip, REASON_FILTERS, verdictWords } from './reasons.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f}header{display:flex;gap:1em;align-items:center;padding:.6em 1.2em;background:#243b53;color:#fff}
header a,header button{color:#fff}header button{background:transparent;border:1px solid #fff;border-radius:.3em;padding:.2em .6em}header .muted{color:#cbd5e1}main{padding:1.2em;max-width:72em}table{border-collapse:collapse;width:100%}td,th{padding:.4em .6em;border-bottom:1px solid #ddd;text-align:left}
.chip{display:inline-block;padding:.1em .6em;border-radius:1em;background:#fde68a;font-size:.85em}.error{color:#b91c1c}.muted{color:#666}form.inline{display:inline}
iframe{width:100%;height:24em;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:.8em}
.scroll{overflow-x:auto}ol.thread{list-style:none;padding:0}@media (max-width:600px){header{flex-wrap:wrap}td,th{padding:.3em}}`;

/** A page of the console; `refreshTo` makes the browser go on there at once (a step within our own origin). */
export function page(
  title: string,
  body: Html | string,
  user: ConsoleUser | null = null,
  csrf = '',
  refreshSeconds = 0,
  refreshTo: string | null = null,
): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${refreshSeconds}" />` : ''}
        ${refreshTo ? html`<meta http-equiv="refresh" content="0; url=${refreshTo}" />` : ''}
        <title>${title} · mailroom</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <header>
          <strong>mailroom</strong>
          ${
            user
              ? html`<a href="/console/unassigned">Unassigned</a>${
                    user.role === 'recruiter'
                      ? ''
                      : html`<a href="/console/accounts">Accounts</a><a href="/console/outbound">Outbound</a><a href="/console/webhooks">Webhooks</a>`
                  }${user.role === 'admin' ? html`<a href="/console/checklist">Checklist</a>` : ''}<span class="muted"
                    >${user.email} (${user.tenant ?? 'every tenant'}, ${user.role})</span
                  >
                  <form class="inline" method="post" action="/console/logout">
                    <input type="hidden" name="csrf" value="${csrf}" /><button>Sign out</button>
                  </form>`
              : ''
          }
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

export function loginPage(error: string | null, email = ''): Html {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
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

export interface QueueFilter {
  reason: string;
  tenant: string;
  q: string;
}

export function queuePage(
  user: ConsoleUser,
  csrf: string,
  messages: StoredMessage[],
  filter: QueueFilter,
  tenants: string[],
  notice: string | null,
  older: string | null,
  candidate: string | null,
): Html {
  const olderLink = older ? `/console/unassigned?${new URLSearchParams({ ...filter, before: older }).toString()}` : null;
  const rows = messages.map(
    (m) =>
      html`<tr>
        <td><input type="checkbox" name="ids" value="${m.id}" aria-label="select ${m.subject ?? m.id}" form="bulk" /></td>
        <td><a href="/console/messages/${m.id}">${m.subject ?? '(no subject)'}</a></td>
        <td>${m.classification?.forward?.originalFrom?.address ?? m.from ?? m.envelope.mailFrom}</td>
        <td><span class="chip">${reasonChip(m)}</span></td>
        <td>${m.tenant}</td>
        <td class="muted">${m.receivedAt.slice(0, 16).replace('T', ' ')}</td>
      </tr>`,
  );
  return page(
    'Unassigned',
    html`<h1>Unassigned messages</h1>
      ${notice ? html`<p role="status">${notice}${candidate ? html` <a href="/console/candidates/${candidate}">See the conversation</a>` : ''}</p>` : ''}
      <form method="get" action="/console/unassigned">
        <label
          >Reason
          <select name="reason">
            <option value="">any</option>
            ${REASON_FILTERS.map((r) => html`<option value="${r}" ${filter.reason === r ? 'selected' : ''}>${r.replace(/_/g, ' ')}</option>`)}
          </select></label
        >
        <label
          >Company
          <select name="tenant">
            <option value="">all</option>
            ${tenants.map((t) => html`<option value="${t}" ${filter.tenant === t ? 'selected' : ''}>${t}</option>`)}
          </select></label
        >
        <label>Sender or subject <input name="q" value="${filter.q}" /></label>
        <button>Filter</button>
      </form>
      ${
        messages.length === 0
          ? html`<p>Nothing waits here.</p>`
          : html`<div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th></th>
                      <th>Subject</th>
                      <th>From</th>
                      <th>Why it waits</th>
                      <th>Company</th>
                      <th>Received</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows}
                  </tbody>
                </table>
              </div>
              <form id="bulk" method="post" action="/console/unassigned/bulk">
                <input type="hidden" name="csrf" value="${csrf}" />
                <label>Candidate <input name="candidate" placeholder="external id" /></label>
                <button name="action" value="assign">Assign selected</button>
                <label>Note <input name="note" /></label>
                <button name="action" value="dismiss">Dismiss selected</button>
              </form>`
      }
      ${olderLink ? html`<p><a href="${olderLink}">Older messages →</a></p>` : ''}`,
    user,
    csrf,
  );
}

export function messagePage(user: ConsoleUser, csrf: string, m: StoredMessage, hasHtml: boolean, candidates: Candidate[], remember: AddressToRemember): Html {
  const suggestions = m.decision?.suggestions ?? [];
  const verification = m.classification?.verification ?? null;
  return page(
    m.subject ?? 'Message',
    html`<p><a href="/console/unassigned">← Unassigned</a></p>
      <h1>${m.subject ?? '(no subject)'}</h1>
      <p>From <strong>${m.from ?? m.envelope.mailFrom}</strong> to ${m.tenant}, ${m.receivedAt} · <span class="chip">${reasonChip(m)}</span></p>
      <p class="muted">${verdictWords(m)}</p>
      ${
        verification
          ? html`<p>
              <strong>Forwarding confirmation</strong>${verification.code ? html`: code <code>${verification.code}</code>` : ''}
              ${verification.link ? html` · <a href="${verification.link}" rel="noreferrer noopener" target="_blank">confirm the forwarding</a>` : ''}
            </p>`
          : ''
      }
      <h2>What they wrote</h2>
      <pre>${m.classification?.replyText ?? '(no text)'}</pre>
      ${
        hasHtml
          ? html`<h2>The message as sent</h2>
              <iframe sandbox="" src="/console/messages/${m.id}/body" title="the message, remote content blocked"></iframe>`
          : ''
      }
      ${
        m.attachments.length > 0
          ? html`<h2>Attachments</h2>
              <ul>
                ${m.attachments.map(
                  (a) =>
                    html`<li>
                      <a href="/console/messages/${m.id}/attachments/${a.sha256}" download>${a.filename ?? a.sha256}</a> (${a.contentType}, ${a.size} bytes)
                    </li>`,
                )}
              </ul>`
          : ''
      }
      ${
        m.status === 'unassigned'
          ? html`<h2>File it</h2>
              <form method="post" action="/console/messages/${m.id}/assign">
                <input type="hidden" name="csrf" value="${csrf}" />
                <label
                  >Candidate
                  <input name="candidate" list="candidates" required placeholder="name or external id" />
                  <datalist id="candidates">
                    ${suggestions.map((s) => html`<option value="${s.externalId}">${s.name} (suggested)</option>`)}
                    ${candidates.map((c) => html`<option value="${c.externalId}">${c.name} · ${c.emails.join(', ')}</option>`)}
                  </datalist>
                </label>
                ${
                  remember.address
                    ? html`<label><input type="checkbox" name="remember" value="1" /> remember <strong class="remember">${remember.address}</strong></label>`
                    : ''
                }
                <button>Assign</button>
                <p class="muted remember-why">
                  ${remember.address ? html`The address remembered is ${remember.why}.` : html`No address will be remembered: ${remember.why}.`}
                </p>
              </form>
              <form method="post" action="/console/messages/${m.id}/dismiss">
                <input type="hidden" name="csrf" value="${csrf}" />
                <label>Note <input name="note" /></label>
                <button>Dismiss</button>
              </form>
              <h2>Why mailroom did not file it</h2>
              <pre>${JSON.stringify(m.decision?.evidence ?? {}, null, 2)}</pre>`
          : html`<p>
              Status:
              ${m.status}${
                m.decision?.candidate
                  ? html` · <a href="/console/candidates/${m.tenant}/${m.decision.candidate.externalId}">${m.decision.candidate.name}</a>`
                  : ''
              }
            </p>`
      }`,
    user,
    csrf,
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
}

export function conversationPage(user: ConsoleUser, csrf: string, candidate: Candidate, items: ThreadItem[], subjects: Map<number, string>): Html {
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
                    <span class="muted">${i.at.slice(0, 16).replace('T', ' ')}</span>
                    ${i.mark ? html`<span class="chip">${i.mark}</span>` : ''} ${i.href ? html`<a href="${i.href}">${i.subject}</a>` : i.subject}
                    <pre>${i.text}</pre>
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
      <table>
        <thead>
          <tr>
            <th>ID</th>
            <th>Created</th>
            <th>Owner</th>
            <th>Management type</th>
            <th>Sending method</th>
            <th>Status</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${accounts.map(
            (a) =>
              html`<tr>
                <td>${a.id} ${a.name}${a.isDefault ? ' (default)' : ''}</td>
                <td>${a.createdAt.slice(0, 10)}</td>
                <td>${a.owner ?? a.tenant}</td>
                <td>own account</td>
                <td>${method(a)} · ${a.fromAddress}</td>
                <td>${a.status === 'pending' ? 'Pending' : a.status === 'active' ? 'Active' : html`Failing: ${a.lastError ?? ''}`}</td>
                <td>
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

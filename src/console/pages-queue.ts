// The recruiter's inbox: the unassigned queue (a line of what they wrote,
// unread in bold, a button per suggestion) and one message (why it waits in
// words, filing in one click, the candidate search), with the notice of the
// last filing and its Undo.
import { html } from 'hono/html';
import { addressToRemember } from '../operations/index.ts';
import type { Candidate, StoredMessage } from '../store/index.ts';
import { page, type Html, type Viewer } from './layout.ts';
import { reasonChip, REASON_FILTERS } from './reasons.ts';
import { ago, fullTime, preview, verdictSentences, whyItWaits } from './words.ts';

/** A candidate the console proposes for a message, and why. */
export interface Suggestion {
  externalId: string;
  name: string;
  reason: string;
}

export interface QueueRow {
  message: StoredMessage;
  suggestions: Suggestion[];
  unread: boolean;
}

/** The line above a page after filing or dismissing: what was done, with Undo while it can be. */
export interface Notice {
  text: string;
  undoId: string | null;
  conversation: string | null;
}

export interface QueueFilter {
  reason: string;
  tenant: string;
  q: string;
}

/** What was typed in the candidate field that named no one (or several): the choices, everything typed kept. */
export interface Choices {
  typed: string;
  remember: boolean;
  found: Candidate[];
}

const senderOf = (m: StoredMessage): string => m.classification?.forward?.originalFrom?.address ?? m.from ?? m.envelope.mailFrom;

export const when = (iso: string, now: Date): Html => html`<time datetime="${iso}" title="${fullTime(iso)}">${ago(iso, now)}</time>`;

export function noticeBlock(notice: Notice | null, csrf: string): Html | string {
  if (!notice) return '';
  return html`<div class="notice" role="status" id="notice">
    ${notice.text}
    ${
      notice.undoId
        ? html`<form class="inline" method="post" action="/console/messages/${notice.undoId}/undo">
            <input type="hidden" name="csrf" value="${csrf}" /><button data-key="u">Undo</button>
          </form>`
        : ''
    }
    ${notice.conversation ? html` <a href="/console/candidates/${notice.conversation}">See the conversation</a>` : ''}
  </div>`;
}

/** One "File under …" button per suggestion: one click files it. */
function fileButtons(m: StoredMessage, suggestions: Suggestion[], csrf: string, back: 'queue' | 'next'): Html {
  return html`${suggestions.map(
    (s, i) =>
      html`<form class="suggest" method="post" action="/console/messages/${m.id}/assign" ${i === 0 ? html`data-first-suggestion` : ''}>
        <input type="hidden" name="csrf" value="${csrf}" /><input type="hidden" name="back" value="${back}" />
        <button
          class="file"
          name="candidate"
          value="${s.externalId}"
          aria-label="${back === 'queue' ? `File under ${s.name} (${s.externalId}): ${m.subject ?? '(no subject)'}` : `File under ${s.name} (${s.externalId})`}"
        >
          File under ${s.name} (${s.externalId})
        </button>
        <span class="muted">${s.reason}</span>
      </form>`,
  )}`;
}

function dismissForm(m: StoredMessage, csrf: string, back: 'queue' | 'next', withNote: boolean): Html {
  return html`<form class="${withNote ? '' : 'inline'}" method="post" action="/console/messages/${m.id}/dismiss" data-dismiss>
    <input type="hidden" name="csrf" value="${csrf}" /><input type="hidden" name="back" value="${back}" />
    ${withNote ? html`<label>Note (optional) <input name="note" /></label>` : ''}
    <button aria-label="Dismiss ${m.subject ?? '(no subject)'}">Dismiss</button>
  </form>`;
}

/** One waiting message in the queue's table. */
function queueRow({ message: m, suggestions, unread }: QueueRow, csrf: string, now: Date): Html {
  return html`<tr class="${unread ? 'unread' : ''}" data-row>
    <td><input type="checkbox" name="ids" value="${m.id}" aria-label="Select ${m.subject ?? '(no subject)'}" form="bulk" /></td>
    <td data-label="Subject">
      <a class="subject" href="/console/messages/${m.id}">${m.subject ?? '(no subject)'}</a>${unread ? html`<span class="sr"> (unread)</span>` : ''}
      <span class="preview">${preview(m) || '(no text)'}</span>
    </td>
    <td data-label="From">${senderOf(m)}</td>
    <td data-label="Why it waits"><span class="chip">${reasonChip(m)}</span></td>
    <td data-label="File">${fileButtons(m, suggestions, csrf, 'queue')} ${dismissForm(m, csrf, 'queue', false)}</td>
    <td data-label="Company">${m.tenant}</td>
    <td data-label="Received">${when(m.receivedAt, now)}</td>
  </tr>`;
}

/** The queue's filters: the reason, the company, a search over sender and subject. */
function queueFilters(filter: QueueFilter, tenants: string[]): Html {
  return html`<form class="filters" method="get" action="/console/unassigned" role="search">
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
    <label>Sender or subject <input name="q" value="${filter.q}" type="search" /></label>
    <button>Filter</button>
  </form>`;
}

export function queuePage(
  user: Viewer,
  csrf: string,
  rows: QueueRow[],
  filter: QueueFilter,
  tenants: string[],
  notice: Notice | null,
  older: string | null,
  now: Date,
): Html {
  const olderLink = older ? `/console/unassigned?${new URLSearchParams({ ...filter, before: older }).toString()}` : null;
  const body = rows.map((row) => queueRow(row, csrf, now));
  return page(
    'Unassigned',
    html`<h1>Unassigned messages</h1>
      ${noticeBlock(notice, csrf)} ${queueFilters(filter, tenants)}
      ${
        rows.length === 0
          ? html`<p>Nothing waits here.</p>`
          : html`<table class="stack" id="queue">
                <caption class="muted">
                  Newest first. Keys: j and k move, Enter opens, a files under the first suggestion, d dismisses, ? shows them all.
                </caption>
                <thead>
                  <tr>
                    <th><span class="sr">Select</span></th>
                    <th>Subject</th>
                    <th>From</th>
                    <th>Why it waits</th>
                    <th>File</th>
                    <th>Company</th>
                    <th>Received</th>
                  </tr>
                </thead>
                <tbody>
                  ${body}
                </tbody>
              </table>
              <form id="bulk" method="post" action="/console/unassigned/bulk" class="filters">
                <input type="hidden" name="csrf" value="${csrf}" />
                <label>Candidate (external id) for the selected <input name="candidate" /></label>
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

function choicesBlock(m: StoredMessage, choices: Choices, csrf: string): Html {
  return html`<div class="choices" role="alert">
    ${
      choices.found.length === 0
        ? html`<p>No candidate of ${m.tenant} matches “${choices.typed}”. Try part of the name, an address, or the external id.</p>`
        : html`<p>“${choices.typed}” matches ${choices.found.length === 1 ? 'one candidate' : `${choices.found.length} candidates`}: which one?</p>
            ${choices.found.map(
              (c) =>
                html`<form class="suggest" method="post" action="/console/messages/${m.id}/assign">
                  <input type="hidden" name="csrf" value="${csrf}" /><input type="hidden" name="back" value="next" />
                  ${choices.remember ? html`<input type="hidden" name="remember" value="1" />` : ''}
                  <button class="file" name="candidate" value="${c.externalId}">File under ${c.name} (${c.externalId})</button>
                  <span class="muted">${c.emails.join(', ')}</span>
                </form>`,
            )}`
    }
  </div>`;
}

export function messagePage(
  user: Viewer,
  csrf: string,
  m: StoredMessage,
  view: { hasHtml: boolean; suggestions: Suggestion[]; notice: Notice | null; choices: Choices | null; next: string | null; now: Date },
): Html {
  const verification = m.classification?.verification ?? null;
  const explained = whyItWaits(m);
  // Exactly the address the assign operation remembers (the judged From, a forward's original sender only when trusted), or why none.
  const remember = addressToRemember(m);
  return page(
    m.subject ?? 'Message',
    html`<p>
        <a href="/console/unassigned">← Unassigned</a>${view.next ? html` · <a href="/console/messages/${view.next}" rel="next">Next waiting →</a>` : ''}
      </p>
      ${noticeBlock(view.notice, csrf)}
      <h1>${m.subject ?? '(no subject)'}</h1>
      <p>From <strong>${m.from ?? m.envelope.mailFrom}</strong> to ${m.tenant}, ${when(m.receivedAt, view.now)} · <span class="chip">${reasonChip(m)}</span></p>
      ${
        m.status === 'unassigned'
          ? html`<h2>Why it waits</h2>
              <p>${explained.why}</p>
              <p><strong>What would have filed it:</strong> ${explained.wouldFile}</p>
              <h2>File it</h2>
              ${fileButtons(m, view.suggestions, csrf, 'next')} ${view.choices ? choicesBlock(m, view.choices, csrf) : ''}
              <form method="post" action="/console/messages/${m.id}/assign" data-candidate-search="${m.tenant}">
                <input type="hidden" name="csrf" value="${csrf}" /><input type="hidden" name="back" value="next" />
                <p>
                  <label for="candidate">Find a candidate by name, address or external id</label><br />
                  <input id="candidate" name="candidate" required autocomplete="off" value="${view.choices?.typed ?? ''}" />
                  <button class="primary">File</button>
                </p>
                ${
                  remember.address
                    ? html`<p>
                          <label
                            ><input type="checkbox" id="remember" name="remember" value="1" ${view.choices?.remember ? 'checked' : ''} /> Remember
                            <strong class="remember">${remember.address}</strong> as this candidate's address</label
                          >
                        </p>
                        <p class="muted">${remember.why}</p>`
                    : html`<p class="muted remember">No address will be remembered: ${remember.why}</p>`
                }
              </form>
              ${dismissForm(m, csrf, 'next', true)}`
          : html`<p>${statusWords(m)}</p>`
      }
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
        view.hasHtml
          ? html`<h2>The message as sent</h2>
              <iframe sandbox="" src="/console/messages/${m.id}/body" title="The message as sent, remote content blocked"></iframe>`
          : ''
      }
      ${m.attachments.length > 0 ? html`<h2>Attachments</h2>` : ''} ${attachmentList(m)}
      <h2>Authentication</h2>
      <ul>
        ${verdictSentences(m).map((s) => html`<li>${s}</li>`)}
      </ul>
      <details>
        <summary>Details (the evidence of the decision, for operators)</summary>
        <pre>${JSON.stringify({ reason: m.decision?.reason ?? null, evidence: m.decision?.evidence ?? {}, auth: m.auth }, null, 2)}</pre>
      </details>`,
    user,
    csrf,
  );
}

export function attachmentList(m: StoredMessage): Html | string {
  if (m.attachments.length === 0) return '';
  return html`<ul class="attachments" aria-label="Attachments">
    ${m.attachments.map(
      (a) =>
        html`<li>
          📎 <a href="/console/messages/${m.id}/attachments/${a.sha256}" download>${a.filename ?? a.sha256.slice(0, 12)}</a>
          <span class="muted">(${a.contentType}, ${sizeWords(a.size)})</span>
        </li>`,
    )}
  </ul>`;
}

const sizeWords = (bytes: number): string =>
  bytes < 1024 ? `${bytes} bytes` : bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;

function statusWords(m: StoredMessage): Html | string {
  const c = m.decision?.candidate;
  if (m.status === 'assigned' && c) return html`Filed under <a href="/console/candidates/${m.tenant}/${c.externalId}">${c.name} (${c.externalId})</a>.`;
  if (m.status === 'dismissed') {
    const note = m.decision?.note;
    return `Dismissed${note ? `: ${note}` : '.'}`;
  }
  return `Status: ${m.status}.`;
}

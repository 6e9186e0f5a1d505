// Pages of what leaves mailroom: webhook endpoints with their delivery log, and
// the outbound queue with each message's last word from the provider.
import { html } from 'hono/html';
import type { ConsoleUser, OutboundMessage, Webhook, WebhookDelivery } from '../store/index.ts';
import { failureWords } from '../relay/index.ts';
import { page, type Html } from './pages.ts';

const when = (iso: string | null): string => (iso ? iso.slice(0, 19).replace('T', ' ') : '');

function endpointStatus(w: Webhook): string {
  if (w.status === 'disabled') return `Disabled: ${w.disabledReason ?? ''}`;
  if (w.failingSince) return `Failing since ${when(w.failingSince)}`;
  return 'Active';
}

export function webhooksPage(user: ConsoleUser, csrf: string, webhooks: Webhook[]): Html {
  return page(
    'Webhooks',
    html`<h1>Webhooks</h1>
      <div>
        <table class="stack">
          <caption class="muted">
            Endpoints the platform hears from; each delivery is signed and retried until it is taken.
          </caption>
          <thead>
            <tr>
              <th>ID</th>
              <th>Tenant</th>
              <th>URL</th>
              <th>Events</th>
              <th>Status</th>
              <th>Waiting</th>
              <th>Last delivered</th>
            </tr>
          </thead>
          <tbody>
            ${webhooks.map(
              (w) =>
                html`<tr>
                  <td data-label="Endpoint"><a href="/console/webhooks/${w.id}" aria-label="Delivery log of ${w.url}">${w.id}</a></td>
                  <td data-label="Tenant">${w.tenant}</td>
                  <td data-label="URL">${w.url}</td>
                  <td data-label="Events">${w.events?.join(', ') ?? 'all'}</td>
                  <td data-label="Status">${endpointStatus(w)}</td>
                  <td data-label="Waiting">${w.pending}</td>
                  <td data-label="Last delivered">${when(w.lastSuccessAt) || 'never'}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${webhooks.length === 0 ? html`<p>No endpoint yet: add one with <code>mailroom webhooks add</code> or the HTTP API.</p>` : ''}`,
    user,
    csrf,
  );
}

export function deliveriesPage(
  user: ConsoleUser,
  csrf: string,
  webhook: Webhook,
  deliveries: WebhookDelivery[],
  notice: string | null,
  about: ReadonlyMap<string, string>,
): Html {
  return page(
    `Webhook ${webhook.id}`,
    html`<h1>Webhook ${webhook.id}: ${webhook.url}</h1>
      <p>${endpointStatus(webhook)} · ${webhook.pending} waiting · tenant ${webhook.tenant}</p>
      ${notice ? html`<p role="status">${notice}</p>` : ''}
      <div>
        <table class="stack">
          <caption class="muted">
            The latest deliveries, newest first.
          </caption>
          <thead>
            <tr>
              <th>Event</th>
              <th>Type</th>
              <th>About</th>
              <th>State</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${deliveries.map(
              (d) =>
                html`<tr>
                  <td data-label="Event">${when(d.createdAt)}</td>
                  <td data-label="Type">${d.type}</td>
                  <td data-label="About">${about.get(d.subject) ?? d.subject}</td>
                  <td data-label="State">${d.state === 'delivered' ? `delivered ${when(d.deliveredAt)}` : d.state === 'failed' ? 'given up' : 'waiting'}</td>
                  <td data-label="Attempts">${d.attempts}</td>
                  <td data-label="Last answer">${d.lastStatus ? `HTTP ${d.lastStatus}` : ''} ${d.lastError ?? ''}</td>
                  <td>
                    <form class="inline" method="post" action="/console/webhooks/${webhook.id}/deliveries/${d.eventId}/replay">
                      <input type="hidden" name="csrf" value="${csrf}" /><button aria-label="Replay event ${d.eventId}">Replay</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${deliveries.length === 0 ? html`<p>Nothing delivered to this endpoint yet.</p>` : ''}
      <p><a href="/console/webhooks">← All webhooks</a></p>`,
    user,
    csrf,
  );
}

export function outboundPage(
  user: ConsoleUser,
  csrf: string,
  messages: OutboundMessage[],
  status: string,
  older: string | null,
  accounts: ReadonlyMap<number, string>,
): Html {
  const statuses = ['', 'queued', 'sending', 'sent', 'deferred', 'failed'];
  return page(
    'Outbound',
    html`<h1>Outbound queue</h1>
      <form method="get" action="/console/outbound" class="filters">
        <label
          >Status
          <select name="status">
            ${statuses.map((s) => html`<option value="${s}" ${s === status ? 'selected' : ''}>${s || 'any'}</option>`)}
          </select></label
        >
        <button>Show</button>
      </form>
      <div>
        <table class="stack">
          <thead>
            <tr>
              <th>Queued</th>
              <th>To</th>
              <th>Subject</th>
              <th>Account</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Provider's reply</th>
            </tr>
          </thead>
          <tbody>
            ${messages.map(
              (o) =>
                html`<tr>
                  <td data-label="Queued">${when(o.createdAt)}</td>
                  <td data-label="To">${o.recipient}</td>
                  <td data-label="Subject">${o.subject}${o.purpose === 'test' ? html` <span class="chip">test</span>` : ''}</td>
                  <td data-label="Account">${o.accountId === null ? '' : (accounts.get(o.accountId) ?? `account ${o.accountId}`)}</td>
                  <td data-label="Status">${o.status}${o.bounced ? ` (bounced, ${o.bounced.hard ? 'hard' : 'soft'})` : ''}</td>
                  <td data-label="Attempts">${o.attempts}</td>
                  <td data-label="Provider's reply">${o.lastFailure ? failureWords(o.lastFailure, o.lastReply) : (o.lastReply ?? '')}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${messages.length === 0 ? html`<p>Nothing in the outbound queue${status ? ` with status ${status}` : ''}.</p>` : ''}
      ${older ? html`<p><a href="/console/outbound?${new URLSearchParams({ status, before: older }).toString()}">Older messages →</a></p>` : ''}`,
    user,
    csrf,
  );
}

// The frame of every console page: the head (styles, the console's own
// script), the navigation with the count of waiting messages, and the main
// region. Every value goes through hono/html, which escapes it.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ConsoleUser } from '../store/index.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The signed-in person as the navigation shows them: with how many messages wait, when known. */
export type Viewer = ConsoleUser & { waiting?: number };

/** The path of the console's one script (allowed by the pages' policy as 'self'; every page works without it). */
export const SCRIPT_PATH = '/console/assets/console.js';

// Tables turn into stacked rows on a phone (each cell labelled by data-label);
// long words wrap rather than push the page sideways; focus is always visible.
// A constant of ours, so it goes in unescaped (entities are not decoded inside <style>).
const STYLE = `*{box-sizing:border-box}body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f}
header{display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;padding:.6em 1.2em;background:#243b53;color:#fff}
header a,header button{color:#fff}header button{background:transparent;border:1px solid #fff;border-radius:.3em;padding:.2em .6em;font:inherit}
header nav a{margin-right:.9em}header .who{color:#e2e8f0;font-size:.9em}.count{display:inline-block;min-width:1.4em;padding:0 .4em;margin-left:.3em;border-radius:1em;background:#fde68a;color:#1d1d1f;text-align:center;font-size:.85em}
main{padding:1.2em;max-width:80em}h1{font-size:1.5em;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}td,th{padding:.4em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{overflow-wrap:normal;white-space:nowrap}caption{text-align:left;caption-side:bottom;padding:.4em 0}
.chip{display:inline-block;padding:.1em .6em;border-radius:1em;background:#fde68a;color:#1d1d1f;font-size:.85em}.chip.mark{background:#e2e8f0}
.error{color:#b91c1c}.muted{color:#595959}form.inline{display:inline}.ok{color:#166534}
iframe{width:100%;height:24em;border:1px solid #ccc}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.8em}
.scroll{overflow-x:auto}ol.thread{list-style:none;padding:0}ol.thread>li{border-bottom:1px solid #eee;padding:.4em 0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
button{font:inherit;padding:.25em .7em;border:1px solid #64748b;border-radius:.3em;background:#f8fafc;color:#1d1d1f;cursor:pointer}
button.primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}button.file{background:#ecfdf5;border-color:#047857;color:#064e3b;margin:.15em .3em .15em 0}
input,select,textarea{font:inherit;max-width:100%}
.preview{color:#595959;font-size:.9em;display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:48em}
tr.unread .subject{font-weight:700}tr.current{outline:2px solid #2563eb;outline-offset:-2px}
.notice{background:#ecfdf5;border:1px solid #6ee7b7;padding:.6em .8em;border-radius:.3em}
.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:end}.filters label{display:flex;flex-direction:column;font-size:.9em}
.suggest{margin:.3em 0}.choices{border:1px solid #fcd34d;background:#fffbeb;padding:.6em .8em;border-radius:.3em}
.listbox{list-style:none;margin:.2em 0;padding:0;border:1px solid #94a3b8;max-width:32em;background:#fff}.listbox li{padding:.3em .6em;cursor:pointer}.listbox li[aria-selected=true]{background:#dbeafe}
.overlay{position:fixed;inset:10% auto auto 50%;transform:translateX(-50%);background:#fff;border:2px solid #243b53;padding:1em 1.4em;max-width:90vw;box-shadow:0 4px 24px #0004}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}.skip{position:absolute;left:-999px}.skip:focus{left:1em;top:.5em;background:#fff;color:#000;padding:.3em;z-index:9}
@media (max-width:640px){main{padding:.8em}table.stack,table.stack tbody,table.stack tr,table.stack td,table.stack caption{display:block;width:100%}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}table.stack tr{border-bottom:1px solid #ccc;padding:.5em 0}
table.stack td{border:0;padding:.15em 0;overflow-wrap:anywhere}table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600}.preview{white-space:normal}}`;

/** A page of the console; `refreshTo` makes the browser go on there at once (a step within our own origin). */
export function page(title: string, body: Html | string, user: Viewer | null = null, csrf = '', refreshSeconds = 0, refreshTo: string | null = null): Html {
  const waiting = user?.waiting;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${refreshSeconds}" />` : ''}
        ${refreshTo ? html`<meta http-equiv="refresh" content="0; url=${refreshTo}" />` : ''}
        <title>${title} · mailroom</title>
        <style>
          ${raw(STYLE)}
        </style>
        <script src="${SCRIPT_PATH}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to the content</a>
        <header>
          <strong>mailroom</strong>
          ${
            user
              ? html`<nav aria-label="Console">
                    <a href="/console/unassigned"
                      >Unassigned${waiting !== undefined ? html`<span class="count" aria-label="${waiting} waiting">${waiting}</span>` : ''}</a
                    >
                    ${
                      user.role === 'recruiter'
                        ? ''
                        : html` <a href="/console/accounts">Accounts</a> <a href="/console/outbound">Outbound</a> <a href="/console/webhooks">Webhooks</a>`
                    }
                    ${user.role === 'admin' ? html` <a href="/console/checklist">Checklist</a>` : ''}
                  </nav>
                  <span class="who">${user.email} (${user.tenant ?? 'every tenant'}, ${user.role})</span>
                  <form class="inline" method="post" action="/console/logout">
                    <input type="hidden" name="csrf" value="${csrf}" /><button>Sign out</button>
                  </form>`
              : ''
          }
        </header>
        <main id="main">${body}</main>
      </body>
    </html>`;
}

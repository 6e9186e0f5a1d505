/* global document, fetch, HTMLElement, history */
// The console's own small script: keyboard shortcuts, the candidate search as
// one types, and times in the reader's own time zone. Every page works
// without it. It builds elements with textContent only: no text it shows can
// become markup.
'use strict';
(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

  for (const t of $$('time[datetime]')) t.title = new Date(t.getAttribute('datetime')).toLocaleString();

  // The candidate field: a combobox whose list comes from the search endpoint.
  const form = $('form[data-candidate-search]');
  const input = form && $('input[name=candidate]', form);
  if (input) {
    const list = document.createElement('ul');
    list.id = 'candidate-options';
    list.className = 'listbox';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Candidates found');
    list.hidden = true;
    input.parentElement.after(list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-expanded', 'false');
    let active = -1;
    let timer = 0;
    let asked = 0;
    const options = () => $$('[role=option]', list);
    const close = () => {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    };
    const highlight = (i) => {
      const all = options();
      if (all.length === 0) return;
      active = (i + all.length) % all.length;
      all.forEach((o, k) => o.setAttribute('aria-selected', String(k === active)));
      input.setAttribute('aria-activedescendant', all[active].id);
    };
    const choose = (o) => {
      input.value = o.dataset.externalId;
      close();
      form.requestSubmit();
    };
    const show = (found) => {
      list.replaceChildren();
      found.forEach((c, i) => {
        const li = document.createElement('li');
        li.id = `candidate-option-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.dataset.externalId = c.externalId;
        li.textContent = `${c.name} (${c.externalId}) · ${c.emails.join(', ')}`;
        li.addEventListener('mousedown', (e) => {
          e.preventDefault();
          choose(li);
        });
        list.append(li);
      });
      if (found.length === 0) {
        const li = document.createElement('li');
        li.textContent = 'No candidate matches.';
        list.append(li);
      }
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      active = -1;
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) return close();
      timer = setTimeout(async () => {
        const mine = ++asked;
        const tenant = encodeURIComponent(form.dataset.candidateSearch);
        const res = await fetch(`/console/candidates/search?tenant=${tenant}&q=${encodeURIComponent(q)}`, { credentials: 'same-origin' });
        if (res.ok && mine === asked) show(await res.json());
      }, 120);
    });
    input.addEventListener('keydown', (e) => {
      if (list.hidden) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        highlight(active + (e.key === 'ArrowDown' ? 1 : -1));
      } else if (e.key === 'Enter' && active >= 0) {
        e.preventDefault();
        choose(options()[active]);
      } else if (e.key === 'Escape') close();
    });
    input.addEventListener('blur', () => setTimeout(close, 150));
  }

  // Keyboard shortcuts, shown by "?".
  const rows = $$('tr[data-row]');
  let current = -1;
  const move = (i) => {
    if (rows.length === 0) return;
    rows[current]?.classList.remove('current');
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add('current');
    $('a.subject', rows[current])?.focus();
  };
  const scope = () => (current >= 0 ? rows[current] : (rows[0] ?? document));
  const submitIn = (root, sel) => {
    const f = root && $(sel, root);
    if (f) f.requestSubmit($('button', f));
  };
  const KEYS = [
    ['j', 'next message'],
    ['k', 'previous message'],
    ['Enter', 'open it'],
    ['a', 'file under the first suggestion'],
    ['d', 'dismiss'],
    ['u', 'undo the last filing'],
    ['/', 'find a candidate (or search the queue)'],
    ['?', 'show or hide these keys'],
  ];
  let overlay = null;
  const toggleHelp = () => {
    if (overlay) {
      overlay.remove();
      overlay = null;
      return;
    }
    overlay = document.createElement('div');
    overlay.className = 'overlay';
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-label', 'Keyboard shortcuts');
    const h = document.createElement('h2');
    h.textContent = 'Keyboard shortcuts';
    const dl = document.createElement('dl');
    for (const [key, what] of KEYS) {
      const dt = document.createElement('dt');
      const kbd = document.createElement('kbd');
      kbd.textContent = key;
      dt.append(kbd);
      const dd = document.createElement('dd');
      dd.textContent = what;
      dl.append(dt, dd);
    }
    const close = document.createElement('button');
    close.textContent = 'Close';
    close.addEventListener('click', toggleHelp);
    overlay.append(h, dl, close);
    document.body.append(overlay);
    close.focus();
  };
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    if (e.key === 'Escape' && overlay) return toggleHelp();
    const action = {
      j: () => (rows.length ? move(current + 1) : $('a[rel=next]')?.click()),
      k: () => (rows.length ? move(current - 1) : history.back()),
      Enter: () => current >= 0 && document.activeElement === document.body && $('a.subject', rows[current])?.click(),
      a: () => submitIn(scope(), 'form[data-first-suggestion]'),
      d: () => submitIn(scope(), 'form[data-dismiss]'),
      u: () => $('#notice form button')?.click(),
      '/': () => ($('#candidate') ?? $('input[name=q]'))?.focus(),
      '?': toggleHelp,
    }[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });
})();

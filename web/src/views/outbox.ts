import { h, keyedRows, place } from '../dom';
import { when } from '../format';
import { t } from '../i18n';
import { discard, flush, type OutboxItem } from '../offline';
import { state } from '../state';
import { opLabel } from './case';
import type { View } from './view';
import { refusal } from '../errors';

/** What this tablet still has to send, and what the server refused when it was sent. */
export function outboxView(): View {
  const list = h('ul', { id: 'outbox', class: 'outbox-list' });
  // Follows the connection: the page stays open while the tablet goes offline and comes back.
  const connection = h('p', { class: 'muted', id: 'outbox-connection', role: 'status' });
  const showConnection = () => { connection.textContent = navigator.onLine ? t('outboxOnline') : t('outboxOffline'); };
  showConnection();
  window.addEventListener('online', showConnection);
  window.addEventListener('offline', showConnection);
  const el = h('section', { class: 'outbox' },
    h('div', { class: 'section-head' }, h('h1', null, t('outboxTitle')),
      h('button', { type: 'button', class: 'secondary', id: 'sync-now', onclick: () => void flush().catch(() => undefined) }, t('syncNow'))),
    connection, list);
  const empty = h('li', { class: 'muted' }, t('outboxEmpty'));
  // An item is rebuilt only when it changed: a refused one being cleared stays in the page while others are sent.
  const rows = keyedRows((i: OutboxItem) => String(i.id ?? i.key), (i) => JSON.stringify(i), (i) => h('li', { class: ['outbox-item', i.status], 'data-status': i.status },
    h('span', { class: 'ob-status' }, i.status === 'pending' ? t('pending') : t('refused')),
    h('span', { class: 'ob-what' }, h('a', { href: `#/case/${i.caseId}`, class: 'ob-case', 'aria-label': t('openCaseN', { n: i.caseNumber ?? '?' }) }, `#${i.caseNumber ?? '?'}`), ' ', opLabel(i.op), ' · ', when(i.createdAt)),
    i.error ? h('span', { class: 'ob-error', title: `${i.code ?? ''} ${i.error}` }, refusal(i.code, i.error)) : null,
    i.status === 'refused' ? h('button', { type: 'button', class: 'ghost', onclick: () => void discard(i.id!) }, t('clear')) : null));
  const render = () => {
    if (state.outbox.length) place(list, ...rows(state.outbox));
    else place(list, empty);
  };
  render();
  return {
    el,
    update: (c) => { if (c.type === 'outbox') render(); },
    dispose: () => {
      window.removeEventListener('online', showConnection);
      window.removeEventListener('offline', showConnection);
    },
  };
}

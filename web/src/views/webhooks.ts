import { call, type Res } from '../api/client';
import { h, keyedRows, mount, place } from '../dom';
import { when } from '../format';
import { t } from '../i18n';
import type { View } from './view';
import { explain } from '../errors';

type Delivery = Res<'GET /api/v1/webhooks/deliveries'>[number];

/**
 * The exchange with external systems, for operations: each subscriber with its queue, and the dead
 * letters (messages that used up their attempts), each with a retry button. Refreshed every 15 s.
 */
export function webhooksView(): View {
  const subs = h('div', { id: 'webhook-subscribers' }, h('p', { class: 'muted' }, t('loading')));
  const dead = h('div', { id: 'dead-letters' });
  const note = h('p', { class: 'muted', role: 'status', id: 'webhook-note' });
  const el = h('section', { class: 'webhooks' },
    h('div', { class: 'section-head' }, h('h1', null, t('webhooksTitle'))),
    h('section', { class: 'panel' }, h('h2', null, t('subscribers')), subs),
    h('section', { class: 'panel' }, h('h2', null, t('deadLetters')), h('p', { class: 'muted' }, t('deadLettersHint')), note, dead));

  const retry = async (d: Delivery) => {
    try {
      await call('POST /api/v1/webhooks/deliveries/{id}/retry', { params: { id: d.id } });
      mount(note, t('retryQueued', { id: d.messageId }));
    } catch (err) {
      mount(note, h('span', { class: 'error' }, explain(err)));
    }
    await load();
  };

  type Subscriber = Res<'GET /api/v1/webhooks/subscribers'>[number];
  // The tables stay and a row is rebuilt only when it changed: a retry being tapped lands across the refresh.
  const subsBody = h('tbody');
  const subsTable = h('table', { class: 'bench-table' },
    h('thead', null, h('tr', null, [t('name'), 'URL', t('eventTypes'), t('caseKinds'), t('keys'), t('pendingDeliveries'), t('deadLetters')].map((c) => h('th', null, c)))),
    subsBody);
  const subsNone = h('p', { class: 'muted' }, t('none'));
  const subRows = keyedRows((x: Subscriber) => x.id, (x) => JSON.stringify(x), (x) => h('tr', { class: x.active ? '' : 'muted', 'data-subscriber': x.id },
    h('td', null, x.name, x.active ? null : ` (${t('paused')})`), h('td', null, x.url), h('td', null, x.eventTypes.join(', ')),
    h('td', null, x.caseKinds.join(', ') || t('allKinds')), h('td', null, String(x.keys.length)),
    h('td', null, String(x.pending)), h('td', { class: x.dead ? 'error' : '' }, String(x.dead))));
  const deadBody = h('tbody');
  const deadTable = h('table', { class: 'bench-table' },
    h('thead', null, h('tr', null, [t('subscriber'), t('event'), 'webhook-id', t('attempts'), t('lastError'), t('deadSince'), ''].map((c) => h('th', null, c)))),
    deadBody);
  const deadNone = h('p', { class: 'muted' }, t('none'));
  const deadRows = keyedRows((x: Delivery) => String(x.id), (x) => JSON.stringify(x), (x) => h('tr', { 'data-delivery': String(x.id) },
    h('td', null, x.subscriberName),
    h('td', null, x.eventType, x.caseId ? [' · ', h('a', { href: `#/case/${x.caseId}` }, t('caseLink'))] : null),
    h('td', null, h('code', null, x.messageId)), h('td', null, String(x.attempts)),
    h('td', null, x.lastError ?? (x.lastStatus ? `HTTP ${x.lastStatus}` : '')), h('td', null, x.deadAt ? when(x.deadAt) : ''),
    h('td', null, h('button', { type: 'button', class: 'secondary retry', onclick: () => void retry(x) }, t('retry')))));

  const load = async () => {
    try {
      const [s, d] = await Promise.all([call('GET /api/v1/webhooks/subscribers'), call('GET /api/v1/webhooks/deliveries', { query: { state: 'dead', limit: 200 } })]);
      place(subsBody, ...subRows(s));
      place(subs, s.length === 0 ? subsNone : subsTable);
      place(deadBody, ...deadRows(d));
      place(dead, d.length === 0 ? deadNone : deadTable);
    } catch (err) {
      mount(subs, h('p', { class: 'error' }, explain(err)));
    }
  };
  void load();
  const timer = setInterval(() => void load(), 15_000);
  return { el, dispose: () => clearInterval(timer) };
}

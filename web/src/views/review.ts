import { h, keyedRows, place } from '../dom';
import type { CaseRow } from '../live';
import { calendarDaysUntil, localName, when } from '../format';
import { t } from '../i18n';
import { state } from '../state';
import type { View } from './view';

/** The legal reviewers' queue at their post: what waits, how long it has waited, the decision deadline. */
export function reviewView(): View {
  const body = h('tbody', { id: 'review-rows' });
  const empty = h('p', { class: 'muted', id: 'review-empty' }, t('reviewEmpty'));
  const el = h('section', { class: 'review-queue' },
    h('h1', null, t('reviewTitle'), ' ', h('span', { class: 'muted', id: 'review-post' }, state.user?.reviewPostId ? localName(state.user.reviewPostName ?? state.user.reviewPostId, state.user.reviewPostNameZh) : '')),
    h('table', { class: 'table' },
      h('thead', null, h('tr', null, ['#', t('case'), t('level'), t('submitted'), t('decisionDue'), t('state')].map((x) => h('th', { scope: 'col' }, x)))),
      body),
    empty);
  const daysLeft = (c: CaseRow) => (c.decisionDueAt ? calendarDaysUntil(c.decisionDueAt) : null);
  // A row is rebuilt when its case or its days left changed.
  const rows = keyedRows((c: CaseRow) => c.id, (c) => JSON.stringify([c, daysLeft(c)]), (c) => {
    const days = daysLeft(c);
    return h('tr', { 'data-id': c.id, class: c.state === 'under_review' ? 'waiting' : 'done', onclick: () => { location.hash = `#/case/${c.id}`; } },
      h('td', null, h('a', { href: `#/case/${c.id}` }, `#${c.number}`)),
      h('td', null, `${t(`kind_${c.kind}`)} · ${localName(c.zoneName, c.zoneNameZh)}`, h('br'), h('span', { class: 'muted' }, localName(c.title, c.titleZh))),
      h('td', null, c.reviewLevel ? h('span', { class: ['level', c.reviewLevel] }, t(`level_${c.reviewLevel}`)) : '—'),
      h('td', null, when(c.reviewSubmittedAt)),
      h('td', { class: days !== null && days < 10 ? 'warn' : '' }, c.decisionDueAt ? `${when(c.decisionDueAt)} · ${t('daysLeft', { n: days ?? 0 })}` : '—'),
      h('td', null, h('span', { class: ['state', `st-${c.state}`] }, t(`state_${c.state}`))));
  });
  const render = () => {
    const list = [...state.cases.values()]
      .filter((c) => ['under_review', 'approved', 'returned'].includes(c.state))
      .sort((a, b) => Number(b.state === 'under_review') - Number(a.state === 'under_review') || (a.decisionDueAt ?? '9').localeCompare(b.decisionDueAt ?? '9'));
    place(body, ...rows(list));
    empty.hidden = list.length > 0;
  };
  render();
  return { el, update: (c) => { if (c.type === 'cases' || c.type === 'case.opened') render(); } };
}

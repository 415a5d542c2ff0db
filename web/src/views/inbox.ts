import { h, keyedRows, place } from '../dom';
import { countdown, localName, when } from '../format';
import { t } from '../i18n';
import type { CaseRow } from '../live';
import { byUrgency, isOpen, state } from '../state';
import type { View } from './view';

/** The team's cases, most urgent first, with the SLA countdown of the step due next. */
export function inboxView(): View {
  const list = h('ol', { id: 'cases', class: 'cards', 'aria-label': t('inboxTitle') });
  const empty = h('p', { id: 'empty', class: 'muted big-note' }, t('inboxEmpty'));
  const showClosed = h('input', { type: 'checkbox', id: 'show-closed' });
  // The team by its name (as signed in, else as the cases it holds carry it).
  const scope = h('span', { class: 'muted', id: 'team-scope' });
  const scopeText = () => {
    const user = state.user;
    if (!user?.teamId) return t('allTeams');
    if (user.teamName) return t('teamScope', { team: localName(user.teamName, user.teamNameZh) });
    const own = [...state.cases.values()].find((c) => c.teamId === user.teamId && c.teamName);
    return t('teamScope', { team: own ? localName(own.teamName, own.teamNameZh) : user.teamId });
  };
  const el = h('section', { class: 'inbox' },
    h('div', { class: 'section-head' },
      h('h1', null, t('inboxTitle'), ' ', scope),
      h('label', { class: 'toggle' }, showClosed, t('showClosed'))),
    list, empty);

  const card = (c: CaseRow) => {
    const cd = countdown(['reported', 'dispatched', 'accepted'].includes(c.state) ? c.slaDueAt : null);
    const fresh = state.fresh.has(c.id);
    return h('li', { class: ['case-card', `kind-${c.kind}`, fresh && 'fresh', !isOpen(c) && 'done'], 'data-id': c.id },
      h('a', { href: `#/case/${c.id}`, class: 'card-link', 'aria-label': `${t(`kind_${c.kind}`)} ${localName(c.zoneName, c.zoneNameZh)} ${t(`state_${c.state}`)}` },
        h('span', { class: 'kind-icon', 'aria-hidden': 'true' }, ICON[c.kind] ?? '!'),
        h('span', { class: 'card-main' },
          h('strong', { class: 'card-title' }, `${t(`kind_${c.kind}`)} · ${localName(c.zoneName, c.zoneNameZh)}`),
          h('span', { class: 'card-sub' }, localName(c.title, c.titleZh)),
          h('span', { class: 'card-meta' }, `#${c.number} · ${when(c.createdAt)} · ${c.alertCount === 1 ? t('alertsOne') : t('alertsN', { n: c.alertCount })}`)),
        h('span', { class: 'card-side' },
          h('span', { class: ['state', `st-${c.state}`] }, t(`state_${c.state}`)),
          cd.text ? h('span', { class: ['countdown', cd.level], 'data-due': c.slaDueAt ?? '' }, cd.text) : null,
          fresh ? h('span', { class: 'new-tag' }, t('new')) : null)));
  };

  // A card is rebuilt when its case or its "new" mark changed; the countdowns tick in place.
  const cards = keyedRows((c: CaseRow) => c.id, (c) => JSON.stringify([c, state.fresh.has(c.id)]), card);
  const render = () => {
    const cases = [...state.cases.values()].filter((c) => showClosed.checked || isOpen(c)).sort(byUrgency);
    place(list, ...cards(cases));
    scope.textContent = scopeText();
    empty.hidden = cases.length > 0;
  };
  showClosed.addEventListener('change', render);
  render();
  return {
    el,
    update(c) {
      if (c.type === 'tick') {
        for (const node of list.querySelectorAll<HTMLElement>('.countdown')) {
          const cd = countdown(node.dataset.due || null);
          node.textContent = cd.text;
          node.className = `countdown ${cd.level}`;
        }
      } else if (c.type === 'cases' || c.type === 'case.opened') render();
    },
  };
}

/** One character per kind, readable in any CJK font (no emoji font on rugged tablets). */
export const ICON: Record<string, string> = { noise: '噪', fishing: '钓', crowding: '聚', smoke: '烟', intrusion: '入', complaint: '诉', inspection: '检' };

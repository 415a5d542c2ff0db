import { call } from '../api/client';
import { h, mount } from '../dom';
import { localName, yuan } from '../format';
import { t } from '../i18n';
import type { TransitionBody } from '../offline';
import { actionForm } from './actions';
import { suggestTier, type CaseContext, type Detail } from './case';
import { explain } from '../errors';

type Benchmark = Detail['benchmark'][number];
const TIER_ORDER = ['no_penalty', 'mitigated', 'normal', 'aggravated'];
const PENALTIES = ['no_penalty', 'warning', 'fine', 'confiscation', 'suspension', 'licence_revocation'] as const;

/** The matter's discretion benchmark for one kind of party: each tier's range, measures and facts. */
export function benchmarkTable(benchmark: Benchmark[], partyKind: string, selected?: string, onPick?: (tier: string) => void): HTMLElement {
  const rows = benchmark.filter((b) => b.partyKind === partyKind).sort((a, b) => TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier));
  // The statute's range: the tiers that fine (a no-penalty tier's ¥0 is not a fine).
  const fining = rows.filter((r) => r.maxFineYuan > 0);
  const min = Math.min(...fining.map((r) => r.minFineYuan));
  const max = Math.max(...fining.map((r) => r.maxFineYuan));
  return h('div', { class: 'benchmark' },
    h('table', { class: 'bench-table', 'aria-label': t('benchmarkTitle') },
      h('thead', null, h('tr', null, h('th', null, t('tier')), h('th', null, t('fineRange')), h('th', null, t('measures')), h('th', null, t('whenApplies')))),
      h('tbody', null, rows.map((r) => h('tr', {
        class: [r.tier === selected && 'selected', onPick && 'pickable'], 'data-tier': r.tier,
        onclick: onPick ? () => onPick(r.tier) : undefined,
      },
      h('th', { scope: 'row' }, t(`tier_${r.tier}`)),
      h('td', null, `${yuan(r.minFineYuan)}–${yuan(r.maxFineYuan)}`),
      h('td', null, r.measures.map((m) => t(`pen_${m}`)).join('、')),
      h('td', null, localName(r.facts, r.factsZh)))))),
    fining.length ? h('p', { class: 'statutory' }, `${t('statutoryBounds')}: ${yuan(min)}–${yuan(max)} · ${localName(rows[0]!.legalBasis, rows[0]!.legalBasisZh)}`) : null);
}

/**
 * A decision proposal as a form: the party (looked up by identifier for earlier cases), the tier picked
 * beside the benchmark, penalties limited to the matter's measures, and a fine bounded by the statute
 * (a fine outside the chosen tier is allowed but flagged: it makes the decision major).
 */
export function proposeForm(ctx: CaseContext): HTMLElement {
  const d = ctx.detail;
  const last = d.proposals.at(-1);
  let partyKind = last?.partyKind ?? 'individual';
  let tier = last?.tier ?? suggestTier(d);
  const allowed = new Set<string>(['warning', ...d.benchmark.flatMap((b) => b.measures)]);
  if (d.benchmark.some((b) => b.tier === 'no_penalty')) allowed.add('no_penalty');
  if (d.benchmark.some((b) => b.maxFineYuan > 0)) allowed.add('fine');

  const side = h('div', { class: 'bench-side', id: 'f-benchmark' });
  const history = h('div', { class: 'party-history', id: 'f-history' });
  const fine = h('input', { type: 'number', name: 'fineYuan', id: 'f-fine', inputMode: 'numeric', min: 1, step: 1, value: last?.fineYuan ?? '' });
  const fineNote = h('p', { class: 'muted', id: 'f-fine-note', role: 'status' });
  const tierSelect = h('select', { name: 'tier', id: 'f-tier', required: true }, TIER_ORDER.map((x) => h('option', { value: x, selected: x === tier }, t(`tier_${x}`))));
  const penalties = h('fieldset', { class: 'choices', id: 'f-penalties' }, h('legend', null, t('penalties'), ' *'),
    PENALTIES.filter((p) => allowed.has(p)).map((p) => h('label', { class: 'choice' },
      h('input', { type: 'checkbox', name: 'penalties', value: p, 'data-multi': '1', checked: last ? last.penalties.includes(p) : false }), t(`pen_${p}`))));
  const partyId = h('input', { name: 'partyId', id: 'f-party-id', value: last?.partyId ?? '', pattern: '[A-Za-z0-9][A-Za-z0-9_.:\\-]*', autocapitalize: 'characters', 'aria-describedby': 'f-history' });

  const rows = () => d.benchmark.filter((b) => b.partyKind === partyKind);
  const bounds = () => {
    const r = rows().filter((x) => x.maxFineYuan > 0);
    return r.length ? { min: Math.min(...r.map((x) => x.minFineYuan)), max: Math.max(...r.map((x) => x.maxFineYuan)) } : null;
  };
  const refresh = () => {
    mount(side, benchmarkTable(d.benchmark, partyKind, tier, (picked) => {
      tier = picked;
      tierSelect.value = picked;
      preselect();
      refresh();
    }));
    const b = bounds();
    const range = rows().find((r) => r.tier === tier);
    if (b) fine.max = String(Math.max(1, b.max));
    const v = Number(fine.value);
    if (!fine.value) mount(fineNote, range ? t('fineHint', { min: range.minFineYuan, max: range.maxFineYuan }) : '');
    else if (b && (v < b.min || v > b.max)) mount(fineNote, h('span', { class: 'warn' }, t('fineOutsideStatute', { min: b.min, max: b.max })));
    else if (range && (v < range.minFineYuan || v > range.maxFineYuan)) mount(fineNote, h('span', { class: 'warn' }, t('fineOutsideTier')));
    else mount(fineNote, h('span', { class: 'ok' }, t('fineInsideTier')));
  };
  const preselect = () => {
    const range = rows().find((r) => r.tier === tier);
    if (!range) return;
    for (const box of penalties.querySelectorAll<HTMLInputElement>('input')) {
      box.checked = tier === 'no_penalty' ? box.value === 'no_penalty' : range.measures.includes(box.value) && box.value !== 'no_penalty';
    }
    if (tier === 'no_penalty' || range.maxFineYuan === 0) fine.value = '';
    else if (!fine.value) fine.value = String(Math.round((range.minFineYuan + range.maxFineYuan) / 2));
  };
  tierSelect.addEventListener('change', () => {
    tier = tierSelect.value;
    preselect();
    refresh();
  });
  fine.addEventListener('input', refresh);

  const lookup = h('button', { type: 'button', class: 'secondary', id: 'f-lookup' }, t('lookupParty'));
  lookup.addEventListener('click', () => {
    const id = partyId.value.trim();
    if (!id) return;
    mount(history, h('p', { class: 'muted' }, t('loading')));
    void call('GET /api/v1/parties/{id}/cases', { params: { id }, query: { caseId: d.id } }).then((list) => {
      const others = list.filter((c) => c.caseId !== d.id);
      const same = others.filter((c) => c.matterCode === d.matterCode).length;
      const suggestion = suggestTier({ ...d, proposals: [] }, same);
      mount(history,
        h('p', null, others.length ? t('partyEarlier', { n: others.length, same }) : t('noEarlierCases')),
        others.length ? h('ul', null, others.map((c) => h('li', null, `#${c.number} ${c.matterCode ?? ''} ${c.party ?? ''} ${t(`state_${c.state}`)}${c.fineYuan ? ` ${yuan(c.fineYuan)}` : ''}`))) : null,
        h('p', null, t('suggestedTier'), ' ', h('strong', null, t(`tier_${suggestion}`))));
    }).catch((err: unknown) => mount(history, h('p', { class: 'error' }, explain(err))));
  });

  const kinds = h('fieldset', { class: 'choices' }, h('legend', null, t('partyKind')),
    ['individual', 'unit'].map((k) => h('label', { class: 'choice' }, h('input', {
      type: 'radio', name: 'partyKind', value: k, checked: k === partyKind,
      onchange: () => { partyKind = k; preselect(); refresh(); },
    }), t(`party_${k}`))));
  const firstAlert = (d.alerts[0] as { evidence?: { laeq?: number } } | undefined)?.evidence;
  const facts = last?.facts ?? `${localName(d.title, d.titleZh)}${firstAlert?.laeq ? ` (LAeq ${firstAlert.laeq} dB(A))` : ''}`;

  const form = actionForm('propose_decision', ctx, [
    h('div', { class: 'propose-grid' },
      h('div', { class: 'propose-fields' },
        kinds,
        h('label', { for: 'f-party' }, t('party'), ' *'), h('input', { name: 'party', id: 'f-party', required: true, maxLength: 200, value: last?.party ?? '' }),
        h('label', { for: 'f-party-id' }, t('partyId')), h('div', { class: 'inline' }, partyId, lookup), history,
        h('label', { for: 'f-tier' }, t('tier'), ' *'), tierSelect,
        penalties,
        h('label', { for: 'f-fine' }, t('fineYuan')), fine, fineNote,
        h('label', { for: 'f-facts' }, t('facts'), ' *'), h('textarea', { name: 'facts', id: 'f-facts', required: true, rows: 3 }, facts),
        h('label', { for: 'f-basis' }, t('legalBasis'), ' *'), h('input', { name: 'legalBasis', id: 'f-basis', required: true, value: last?.legalBasis ?? (d.benchmark[0] ? localName(d.benchmark[0].legalBasis, d.benchmark[0].legalBasisZh) : '') }),
        h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'hearingRequired' }), t('hearingRequired')),
        h('label', { for: 'f-correction' }, t('correction')), h('textarea', { name: 'correction', id: 'f-correction', rows: 2 })),
      side),
  ], (v) => {
    const body: Record<string, unknown> = { event: 'propose_decision', ...v, penalties: (v.penalties as string[] | undefined) ?? [] };
    if (body.fineYuan !== undefined) body.fineYuan = Number(body.fineYuan);
    if (!(body.penalties as string[]).includes('fine')) delete body.fineYuan;
    if (last) body.revises = last.revision;
    return body as TransitionBody;
  });
  if (!last) preselect();
  refresh();
  return form;
}

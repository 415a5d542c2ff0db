import { call, type Res } from '../api/client';
import { h, keyedRows, place } from '../dom';
import { countdown, localName, when } from '../format';
import { t } from '../i18n';
import { state } from '../state';
import { locate } from './actions';
import type { View } from './view';
import { explain } from '../errors';

type Inspection = Res<'GET /api/v1/inspections/{id}'>;

/** A check of the inspection's item as recorded (its English text), shown in Chinese where the item has it. */
function checkText(s: Inspection, check: string): string {
  const i = s.item?.checks.indexOf(check) ?? -1;
  return localName(check, i >= 0 ? s.item?.checksZh?.[i] : undefined);
}

/** The inspections assigned to me (or all, for leads and operations): work items with their checklist. */
export function inspectionsView(): View {
  const list = h('ol', { id: 'inspections', class: 'cards', 'aria-label': t('inspectionsTitle') });
  const empty = h('p', { id: 'insp-empty', class: 'muted big-note', hidden: true }, t('inspectionsEmpty'));
  const error = h('p', { class: 'error', role: 'alert' });
  const el = h('section', { class: 'inbox' },
    h('div', { class: 'section-head' }, h('h1', null, t('inspectionsTitle')),
      h('a', { href: '/api/v1/public/inspection-items', target: '_blank', rel: 'noopener', class: 'ghost' }, t('publicChecklist'))),
    error, list, empty);
  const card = (s: Inspection) => h('li', { class: ['case-card', 'kind-inspection', s.state === 'closed' && 'done'], 'data-id': s.id, 'data-state': s.state },
    h('a', { href: `#/inspection/${s.id}`, class: 'card-link' },
      h('span', { class: 'kind-icon', 'aria-hidden': 'true' }, '检'),
      h('span', { class: 'card-main' },
        h('strong', { class: 'card-title' }, `${localName(s.entityName, s.entityNameZh)} · ${t(`entity_${s.entityKind}`)}`),
        h('span', { class: 'card-sub' }, s.item ? localName(s.item.title, s.item.titleZh) : s.itemCode),
        h('span', { class: 'card-meta' }, `#${s.number} · ${t(`reason_${s.reason}`)}${s.planNumber ? ` · ${t('planN', { n: s.planNumber })}` : ''} · ${localName(s.zoneName, s.zoneNameZh)}`)),
      h('span', { class: 'card-side' }, h('span', { class: ['state', `st-insp-${s.state}`] }, t(`insp_${s.state}`)))));
  // A card is rebuilt only when its inspection changed: a tap on it lands while the list is read again.
  const cards = keyedRows((s: Inspection) => s.id, (s) => JSON.stringify(s), card);
  const load = async () => {
    try {
      const rows = await call('GET /api/v1/inspections', {});
      place(list, ...cards(rows));
      empty.hidden = rows.length > 0;
    } catch (err) {
      error.textContent = explain(err);
    }
  };
  void load();
  return { el, update: (c) => { if (c.type === 'cases') void load(); } };
}

/** One inspection: the entity, the item and its legal basis, and the step due now on this tablet. */
export function inspectionView(id: string): View {
  const error = h('p', { id: 'i-error', class: 'error', role: 'alert' });
  const body = h('div', { class: 'case-body' }, h('p', { class: 'muted' }, t('loading')));
  const el = h('section', { id: 'inspection', class: ['detail', 'tablet'] }, h('a', { href: '#/inspections', class: 'back' }, `← ${t('tabInspections')}`), error, body);

  const run = async (button: HTMLButtonElement, fn: () => Promise<unknown>) => {
    button.disabled = true;
    error.textContent = '';
    try {
      await fn();
      await load();
    } catch (err) {
      error.textContent = explain(err);
    } finally {
      button.disabled = false;
    }
  };
  const position = async () => (await locate()) ?? null;

  const openForm = (s: Inspection) => {
    const me = state.user!.id;
    const others = s.assigned.filter((a) => a.userId !== me);
    const select = h('select', { id: 'i-second', name: 'second', required: true }, h('option', { value: '' }, t('chooseInspector')),
      others.map((a) => h('option', { value: a.userId, selected: others.length === 1 }, `${localName(a.name, a.nameZh)} · ${a.certificateNo ?? ''}`)));
    if (others.length === 0) {
      void call('GET /api/v1/inspectors').then((list) => {
        for (const i of list) if (i.userId !== me && i.validToday && i.items.includes(s.itemCode)) select.append(h('option', { value: i.userId }, `${localName(i.name, i.nameZh)} · ${i.certificateNo}`));
      }).catch(() => undefined);
    }
    const where = h('p', { class: 'muted', id: 'i-location' }, t('locating'));
    let pos: { lat: number; lon: number; accuracyM: number } | null = null;
    void position().then((p) => {
      pos = p;
      where.textContent = p ? t('locatedAt', { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), m: Math.round(p.accuracyM) }) : t('noLocation');
    });
    const button = h('button', { type: 'submit', class: ['primary', 'big'] }, t('openInspection'));
    const form = h('form', { class: 'action', id: 'i-open' }, h('p', null, t('openInspectionHint')), h('label', { for: 'i-second' }, t('secondInspector'), ' *'), select, where, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void run(button, async () => {
        const location = pos ?? (await position());
        if (!location) throw new Error(t('presenceNeedsLocation'));
        await call('POST /api/v1/inspections/{id}/open', { params: { id }, body: { secondInspectorId: select.value, location } });
      });
    });
    return form;
  };

  const confirmForm = () => {
    const button = h('button', { type: 'submit', class: ['primary', 'big'] }, t('confirmPresence'));
    const form = h('form', { class: 'action', id: 'i-confirm' }, h('p', null, t('inspectionPresenceAsked')), button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void run(button, async () => {
        const location = await position();
        if (!location) throw new Error(t('presenceNeedsLocation'));
        await call('POST /api/v1/inspections/{id}/presence', { params: { id }, body: { location } });
      });
    });
    return form;
  };

  const checklistForm = (s: Inspection) => {
    const checks = s.item?.checks ?? [];
    const rows = checks.map((c, i) => h('fieldset', { class: 'choices check', 'data-check': String(i) },
      h('legend', null, `${i + 1}. ${localName(c, s.item?.checksZh?.[i])}`),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name: `c${i}`, value: 'yes', required: true }), t('compliant')),
      h('label', { class: 'choice' }, h('input', { type: 'radio', name: `c${i}`, value: 'no' }), t('notCompliant')),
      h('input', { name: `n${i}`, placeholder: t('findingNote'), 'aria-label': `${t('findingNote')} ${i + 1}`, maxLength: 2000 })));
    const corrected = h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'corrected', id: 'i-corrected' }), t('correctedOnSite'));
    const summary = h('textarea', { id: 'i-summary', name: 'summary', rows: 3, maxLength: 4000 });
    const button = h('button', { type: 'submit', class: ['primary', 'big'] }, t('recordResult'));
    const form = h('form', { class: 'action', id: 'i-result' }, h('h3', null, t('checklist')), rows, corrected, h('label', { for: 'i-summary' }, t('summary')), summary, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const findings = checks.map((c, i) => {
        const note = String(data.get(`n${i}`) ?? '').trim();
        return { check: c, compliant: data.get(`c${i}`) === 'yes', ...(note ? { note } : {}) };
      });
      const failed = findings.some((f) => !f.compliant);
      const outcome = !failed ? 'compliant' : data.get('corrected') ? 'corrected_on_site' : 'violations';
      const text = String(data.get('summary') ?? '').trim();
      void run(button, () => call('POST /api/v1/inspections/{id}/result', { params: { id }, body: { outcome, findings, ...(text ? { summary: text } : {}) } }));
    });
    return form;
  };

  const caseForm = () => {
    const note = h('textarea', { id: 'i-case-note', rows: 2, maxLength: 2000 });
    const button = h('button', { type: 'submit', class: ['danger', 'big'] }, t('openFollowUpCase'));
    const form = h('form', { class: 'action', id: 'i-case' }, h('p', null, t('followUpHint')), h('label', { for: 'i-case-note' }, t('note')), note, button);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void run(button, async () => {
        const r = await call('POST /api/v1/inspections/{id}/case', { params: { id }, body: note.value.trim() ? { note: note.value.trim() } : {} });
        location.hash = `#/case/${r.caseId}`;
      });
    });
    return form;
  };

  const stepFor = (s: Inspection): HTMLElement => {
    const me = state.user!.id;
    const inspecting = s.leadInspector === me || s.secondInspector === me;
    switch (s.state) {
      case 'planned':
        return s.assigned.some((a) => a.userId === me) || s.assigned.length === 0 ? openForm(s) : h('p', { class: 'muted' }, t('assignedToOthers'));
      case 'opened': {
        if (s.secondInspector === me) return confirmForm();
        const second = s.assigned.find((a) => a.userId === s.secondInspector);
        return h('p', { id: 'i-waiting', class: 'notice' }, t('waitingForSecond', { name: second ? localName(second.name, second.nameZh) : s.secondInspector ?? '' }),
          s.confirmBy ? ` ${countdown(s.confirmBy).text}` : '');
      }
      case 'in_progress':
        return inspecting ? checklistForm(s) : h('p', { class: 'muted' }, t('insp_in_progress'));
      case 'closed':
        if (s.followUpCaseId) return h('p', null, h('a', { href: `#/case/${s.followUpCaseId}`, id: 'i-case-link', class: 'primary' }, t('followUpCaseLink')));
        return inspecting && s.outcome === 'violations' ? caseForm() : h('p', { class: 'muted' }, t('inspNothing'));
      default:
        return h('p', null, s.state);
    }
  };

  const actionsTitle = h('h2', { id: 'h-i-actions' }, t('actionsTitle'));
  const actions = h('section', { id: 'i-actions', class: 'panel actions', 'aria-labelledby': 'h-i-actions' });
  let stepKey = '';
  let stepEl: HTMLElement | null = null;
  const render = (s: Inspection) => {
    const fact = (k: string, v: string | null | undefined) => [h('dt', null, k), h('dd', null, v ?? '—')];
    // The step is rebuilt only when what it offers changed: a form being filled in (or a button being
    // pressed) stays in the page while the inspection is read again (every 5 s while it waits, on live updates).
    const key = JSON.stringify([s.state, s.assigned, s.leadInspector, s.secondInspector, s.outcome, s.followUpCaseId, s.item?.checks, s.item?.checksZh,
      // the waiting note's countdown (not the second inspector's confirmation form, which has none)
      s.state === 'opened' && s.secondInspector !== state.user!.id && s.confirmBy ? countdown(s.confirmBy).text : '']);
    if (key !== stepKey || !stepEl) {
      stepKey = key;
      stepEl = stepFor(s);
    }
    place(actions, actionsTitle, stepEl);
    place(body,
      h('header', { class: 'case-head' },
        h('div', null, h('h1', null, `#${s.number} ${localName(s.entityName, s.entityNameZh)}`), h('p', { class: 'case-title' }, s.item ? localName(s.item.title, s.item.titleZh) : s.itemCode)),
        h('span', { id: 'i-state', class: ['state', 'big', `st-insp-${s.state}`], 'data-state': s.state }, t(`insp_${s.state}`))),
      h('dl', { class: 'facts', id: 'i-facts' },
        fact(t('entityKind'), t(`entity_${s.entityKind}`)),
        fact(t('zone'), `${localName(s.zoneName, s.zoneNameZh)}${s.address ? ` · ${localName(s.address, s.addressZh)}` : ''}`),
        fact(t('inspectionReason'), `${t(`reason_${s.reason}`)}${s.planNumber ? ` · ${t('planN', { n: s.planNumber })}` : ''}${s.complaintRef ? ` · ${s.complaintRef}` : ''}`),
        fact(t('legalBasis'), s.item?.legalBasis),
        fact(t('matter'), s.item?.matterCode),
        fact(t('inspectors'), s.assigned.map((a) => `${localName(a.name, a.nameZh)} (${a.certificateNo ?? '—'})`).join(', ')),
        s.openedAt ? fact(t('openedAt'), when(s.openedAt)) : null,
        s.secondConfirmedAt ? fact(t('secondConfirmedAt'), when(s.secondConfirmedAt)) : null,
        s.outcome ? fact(t('outcome'), t(`inspOutcome_${s.outcome}`)) : null),
      s.findings ? h('section', { class: 'panel', 'aria-labelledby': 'h-findings' }, h('h2', { id: 'h-findings' }, t('findings')),
        h('ol', { id: 'i-findings' }, s.findings.map((f) => h('li', { class: f.compliant ? 'ok' : 'bad' }, `${f.compliant ? '✓' : '✗'} ${checkText(s, f.check)}${f.note ? ` — ${f.note}` : ''}`)))) : null,
      s.state !== 'in_progress' && s.item ? h('section', { class: 'panel', 'aria-labelledby': 'h-checks' }, h('h2', { id: 'h-checks' }, t('checklist')),
        h('ol', { id: 'i-checks' }, s.item.checks.map((c, i) => h('li', null, localName(c, s.item?.checksZh?.[i]))))) : null,
      actions);
  };

  let current: Inspection | null = null;
  let ticks = 0;
  const load = async () => {
    current = await call('GET /api/v1/inspections/{id}', { params: { id } });
    render(current);
  };
  void load().catch((err: unknown) => { error.textContent = explain(err); });
  return {
    el,
    update: (c) => {
      // While the other inspector is to confirm, look every 5 s: their confirmation opens the checklist here.
      if (c.type === 'cases' || (c.type === 'tick' && current?.state === 'opened' && ++ticks % 5 === 0)) void load().catch(() => undefined);
    },
  };
}

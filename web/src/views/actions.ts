import { localName, person, today as districtToday } from '../format';
import { call } from '../api/client';
import { formValues, h, mount } from '../dom';
import { t } from '../i18n';
import type { TransitionBody } from '../offline';
import { state, zones } from '../state';
import type { CaseContext } from './case';
import { proposeForm } from './propose';
import { hearingForm } from './hearing';

type Event = TransitionBody['event'];
const ORDER: Event[] = ['dispatch', 'accept', 'classify', 'arrive', 'resolve_on_site', 'file', 'propose_decision', 'submit_for_review', 'request_opinions', 'give_opinion', 'approve', 'return', 'extend_deadline',
  'notify_party', 'record_statement', 'request_hearing', 'record_hearing', 'waive_statement', 'decide', 'close', 'dismiss'];
const OUTCOMES = ['corrected', 'warning_issued', 'no_violation_found', 'hazard_cleared'] as const;

/**
 * The ends on site the legal rules allow the case's matter (enforcement-api/domain/legal-rules.ts), for
 * the individual the form names: a penalty matter (one with a benchmark or the law's bounds) ends as a
 * first violation spared only where its benchmark has a no-penalty tier, as a warning only where the law
 * gives a warning alone, never as a hazard cleared; a safety incident may end any way.
 */
function onSiteOutcomes(detail: CaseContext['detail']): (typeof OUTCOMES)[number][] {
  if (detail.benchmark.length === 0 && detail.statutoryBounds.length === 0) return [...OUTCOMES];
  const bound = detail.statutoryBounds.find((b) => b.partyKind === 'individual');
  const tiers = detail.benchmark.filter((b) => b.partyKind === 'individual');
  const spared = tiers.some((b) => b.tier === 'no_penalty');
  const warned = !!bound && !bound.fineRequired && bound.mandatoryMeasures.every((m) => m === 'warning')
    && (tiers.length === 0 || tiers.some((b) => b.measures.includes('warning')));
  return OUTCOMES.filter((o) => (o === 'corrected' ? spared : o === 'warning_issued' ? warned : o !== 'hazard_cleared'));
}

/** The steps the server says this user may take now, in lifecycle order, each as a form. */
export function actionForms(ctx: CaseContext): HTMLElement {
  // Approved, the next steps hear the party and decide; revising the proposal (after the party was heard) comes last.
  const rank = (e: Event) => (ctx.detail.state === 'approved' && e === 'propose_decision' ? ORDER.length : ORDER.indexOf(e));
  const actions = [...ctx.detail.actions].sort((a, b) => rank(a) - rank(b));
  const presence = ctx.detail.presence;
  const confirm = presence && presence.secondOfficer === state.user?.id && !presence.confirmedAt ? presenceForm(ctx) : null;
  // The first officer on site waits for the second's confirmation: the steps on site come with it.
  const waiting = presence && !presence.confirmedAt && presence.secondOfficer !== state.user?.id && ctx.detail.onSiteOfficers?.includes(state.user?.id ?? '')
    ? h('p', { class: 'notice', id: 'waiting-presence', role: 'status' }, t('waitingPresence', { name: person(ctx.detail, presence.secondOfficer) }))
    : null;
  if (!actions.length && !confirm) return h('div', { class: 'forms' }, waiting, h('p', { class: 'muted', id: 'no-actions' }, t('nothingToDo')));
  return h('div', { class: 'forms' }, waiting, confirm, actions.map((e) => formFor(e, ctx)));
}

/** The tablet's position now, or null without a fix. */
export function locate(): Promise<{ lat: number; lon: number; accuracyM: number } | null> {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracyM: Math.min(p.coords.accuracy, 100_000) }),
      () => resolve(null), { timeout: 10_000, enableHighAccuracy: true, maximumAge: 30_000 });
  });
}

/**
 * The second officer named on arrival confirms, on their own tablet and with its position, that they
 * are on site: until then the case does not count as two officers present.
 */
function presenceForm(ctx: CaseContext): HTMLElement {
  const where = h('p', { class: 'muted', id: 'f-presence-location' }, t('locating'));
  let position: { lat: number; lon: number; accuracyM: number } | null = null;
  void locate().then((p) => {
    position = p;
    mount(where, p ? t('locatedAt', { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), m: Math.round(p.accuracyM) }) : t('noLocation'));
  });
  const button = h('button', { type: 'submit', class: ['primary', 'big'] }, t('confirmPresence'));
  const form = h('form', { class: ['action', 'action-presence'], 'data-event': 'presence', 'aria-label': t('confirmPresence') },
    h('p', null, t('presenceAsked')), where, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    void (async () => {
      try {
        const location = position ?? (await locate());
        if (!location) {
          mount(where, h('span', { class: 'error' }, t('presenceNeedsLocation')));
          return;
        }
        await ctx.act({ kind: 'presence', location });
      } finally {
        button.disabled = false;
      }
    })();
  });
  return form;
}

export function textArea(name: string, label: string, required: boolean, value = ''): HTMLElement[] {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  return [h('label', { for: id }, label, required ? ' *' : ''), h('textarea', { id, name, required, rows: 3, maxLength: 4000 }, value)];
}

export function input(name: string, label: string, required: boolean, attrs: Record<string, unknown> = {}): HTMLElement[] {
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  return [h('label', { for: id }, label, required ? ' *' : ''), h('input', { id, name, required, ...attrs })];
}

/** Blank optional fields are left out; the server rejects empty strings. */
function clean(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '' && v !== false && !(Array.isArray(v) && v.length === 0)));
}

export function actionForm(event: Event, ctx: CaseContext, fields: (HTMLElement | HTMLElement[] | null)[], toBody: (v: Record<string, unknown>) => Promise<TransitionBody> | TransitionBody, tone: 'primary' | 'danger' | 'secondary' = 'primary'): HTMLFormElement {
  const button = h('button', { type: 'submit', class: [tone, 'big'] }, t(`act_${event}`));
  const form = h('form', { class: ['action', `action-${event}`], 'data-event': event, 'aria-label': t(`act_${event}`) }, fields, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    void (async () => {
      try {
        const body = await toBody(clean(formValues(form)));
        await ctx.act({ kind: 'transition', body });
      } finally {
        button.disabled = false;
      }
    })();
  });
  return form;
}

/**
 * An extension of the decision deadline: at most 30 days past the current one; beyond the first (which
 * the agency head approves alone) with the collective discussion of the agency's leaders that decided
 * it — its date, who took part (one name a line, or separated by commas) and its minutes.
 */
function extensionForm(ctx: CaseContext): HTMLFormElement {
  const further = ctx.detail.extensions.length > 0;
  const discussion = h('fieldset', { class: 'collective-discussion' },
    h('legend', null, t('collectiveDiscussion')),
    h('p', { class: 'muted' }, t(further ? 'collectiveDiscussionRequired' : 'collectiveDiscussionHint')),
    ...input('heldOn', t('discussionHeldOn'), further, { type: 'date', max: districtToday() }),
    ...textArea('participants', t('discussionParticipants'), further),
    ...input('minutesRef', t('discussionMinutesRef'), further, { maxLength: 200 }));
  return actionForm('extend_deadline', ctx, [...textArea('reason', t('extensionReason'), true), ...input('newDueAt', t('newDueDate'), true, { type: 'date' }),
    h('p', { class: 'muted' }, t('extensionLimit')), discussion],
  (v) => ({
    event: 'extend_deadline',
    reason: String(v.reason ?? ''),
    newDueAt: new Date(`${String(v.newDueAt)}T23:59:59`).toISOString(),
    ...(v.heldOn !== undefined ? {
      collectiveDiscussion: {
        heldOn: String(v.heldOn),
        participants: String(v.participants ?? '').split(/[\n,，、;；]+/).map((p) => p.trim()).filter((p) => p !== ''),
        minutesRef: String(v.minutesRef ?? ''),
      },
    } : {}),
  }), 'secondary');
}

function formFor(event: Event, ctx: CaseContext): HTMLElement {
  switch (event) {
    case 'accept':
      return actionForm('accept', ctx, [], () => ({ event: 'accept' }));
    case 'arrive':
      return arriveForm(ctx);
    case 'resolve_on_site': {
      const offered = onSiteOutcomes(ctx.detail);
      const checked = offered.includes('warning_issued') ? 'warning_issued' : offered[0];
      const outcome = h('fieldset', { class: 'choices' }, h('legend', null, t('outcome'), ' *'),
        offered.map((o) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'outcome', value: o, required: true, checked: o === checked }), t(`outcome_${o}`))));
      const idType = h('select', { name: 'partyIdType', id: 'f-party-id-type' }, ['resident_id', 'passport', 'uscc'].map((k) => h('option', { value: k }, t(`idType_${k}`))));
      return actionForm('resolve_on_site', ctx, [outcome, ...textArea('summary', t('summary'), true),
        h('label', { for: 'f-party-id-type' }, t('partyIdType')), idType,
        ...input('partyId', t('partyIdFirst'), false, { pattern: '[A-Za-z0-9 ]+', autocapitalize: 'characters' }), ...textArea('correction', t('correction'), false)],
        (v) => ({ event: 'resolve_on_site', ...v } as TransitionBody));
    }
    case 'propose_decision':
      return proposeForm(ctx);
    case 'submit_for_review':
      return actionForm('submit_for_review', ctx, [...input('note', t('note'), false)], (v) => ({ event: 'submit_for_review', ...v } as TransitionBody));
    case 'approve':
      return actionForm('approve', ctx, [...textArea('opinion', t('opinionOptional'), false)], (v) => ({ event: 'approve', ...v } as TransitionBody));
    case 'return':
      return actionForm('return', ctx, [...textArea('opinion', t('opinionWritten'), true)], (v) => ({ event: 'return', ...v } as TransitionBody), 'danger');
    case 'give_opinion':
      return actionForm('give_opinion', ctx, [...textArea('opinion', t('yourOpinion'), true)], (v) => ({ event: 'give_opinion', ...v } as TransitionBody));
    case 'request_opinions':
      return consultForm(ctx);
    case 'decide':
      return actionForm('decide', ctx, [...input('decisionNo', t('decisionNo'), true), ...textArea('overdueReason', t('overdueReason'), false)], (v) => ({ event: 'decide', ...v } as TransitionBody));
    case 'close':
      return actionForm('close', ctx, [...textArea('summary', t('closingSummary'), false)], (v) => ({ event: 'close', ...v } as TransitionBody), 'secondary');
    case 'dismiss':
      return actionForm('dismiss', ctx, [...textArea('reason', t('dismissReason'), true),
        h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'falseAlarm', checked: true }), t('falseAlarm'))],
        (v) => ({ event: 'dismiss', reason: String(v.reason ?? ''), ...(v.falseAlarm ? { falseAlarm: true } : {}) }), 'danger');
    case 'classify': {
      const select = h('select', { name: 'matterCode', id: 'f-matter', required: true }, h('option', { value: '' }, t('chooseMatter')));
      void call('GET /api/v1/catalogue/matters', {}).then((ms) => {
        for (const m of ms) select.append(h('option', { value: m.code }, `${localName(m.name, m.nameZh)} (${m.code})`));
      }).catch(() => select.append(h('option', { value: '', disabled: true }, t('offlineNoList'))));
      return actionForm('classify', ctx, [h('label', { for: 'f-matter' }, t('matter'), ' *'), select, ...input('note', t('note'), false)],
        (v) => ({ event: 'classify', ...v } as TransitionBody));
    }
    case 'file':
      return actionForm('file', ctx, [h('p', { class: 'muted' }, t('fileHint')), ...input('note', t('note'), false)], (v) => ({ event: 'file', ...v } as TransitionBody));
    case 'extend_deadline':
      return extensionForm(ctx);
    case 'notify_party':
    case 'record_statement':
    case 'waive_statement':
    case 'request_hearing':
    case 'record_hearing':
      return hearingForm(event, ctx);
    case 'dispatch':
      return actionForm('dispatch', ctx, [...input('teamId', t('teamId'), true, { list: 'team-ids' }),
        h('datalist', { id: 'team-ids' }, ['t-east', 't-river', 't-fisheries', 't-emergency'].map((x) => h('option', { value: x })))],
        (v) => ({ event: 'dispatch', ...v } as TransitionBody));
    default: {
      const never: never = event;
      return h('p', null, String(never));
    }
  }
}

/** Arrival: the tablet's position and the second certified officer of the team. */
function arriveForm(ctx: CaseContext): HTMLElement {
  const penalty = ctx.detail.benchmark.length > 0;
  const select = h('select', { name: 'secondOfficerId', id: 'f-second', required: penalty }, h('option', { value: '' }, t('chooseOfficer')));
  const where = h('p', { class: 'muted', id: 'f-location' }, t('locating'));
  const today = districtToday();
  void call('GET /api/v1/team/members').then((members) => {
    for (const m of members) {
      if (m.userId === state.user?.id || !m.certificateNo) continue;
      const notYet = (m.certificateValidFrom ?? '') > today;
      const valid = !notYet && (m.certificateValidUntil ?? '') >= today;
      select.append(h('option', { value: m.userId, disabled: !valid }, `${localName(m.name, m.nameZh)} · ${m.certificateNo}${valid ? '' : ` (${t(notYet ? 'certNotYetValid' : 'certExpired')})`}`));
    }
  }).catch(() => select.append(h('option', { value: '', disabled: true }, t('offlineNoList'))));
  let position: { lat: number; lon: number; accuracyM: number } | null = null;
  void locate().then((p) => {
    position = p;
    mount(where, p ? t('locatedAt', { lat: p.lat.toFixed(5), lon: p.lon.toFixed(5), m: Math.round(p.accuracyM) }) : t('noLocation'));
  });
  return actionForm('arrive', ctx, [
    h('label', { for: 'f-second' }, t('secondOfficer'), penalty ? ' *' : ''), select, where,
    ...input('note', t('note'), false)], async (v) => {
    const location = position ?? (await locate()) ?? (await zoneCentre(ctx.detail.zoneId));
    return { event: 'arrive', location, ...v } as TransitionBody;
  });
}

/** Without a fix: the zone's centre, with an accuracy that says it is not a measurement. */
async function zoneCentre(zoneId: string): Promise<{ lat: number; lon: number; accuracyM: number }> {
  const zone = (await zones().catch(() => [])).find((z) => z.id === zoneId);
  const ring = ((zone?.geometry as { coordinates?: number[][][] } | undefined)?.coordinates?.[0] ?? []) as number[][];
  if (!ring.length) return { lat: 0, lon: 0, accuracyM: 100_000 };
  return { lon: ring.reduce((a, p) => a + p[0]!, 0) / ring.length, lat: ring.reduce((a, p) => a + p[1]!, 0) / ring.length, accuracyM: 100_000 };
}

/** The centre asks colleagues for their opinions (会商). */
function consultForm(ctx: CaseContext): HTMLElement {
  const box = h('fieldset', { class: 'choices', id: 'f-reviewers' }, h('legend', null, t('askColleagues'), ' *'));
  void call('GET /api/v1/review-post/members').then((list) => {
    for (const r of list) {
      if (r.userId === state.user?.id) continue;
      box.append(h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'reviewers', value: r.userId, 'data-multi': '1' }), localName(r.name, r.nameZh)));
    }
  }).catch(() => undefined);
  return actionForm('request_opinions', ctx, [box, ...textArea('question', t('consultQuestion'), true)],
    (v) => ({ event: 'request_opinions', reviewers: (v.reviewers as string[] | undefined) ?? [], question: String(v.question ?? '') }), 'secondary');
}

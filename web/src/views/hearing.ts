import { person, when } from '../format';
import { h } from '../dom';
import { t } from '../i18n';
import type { TransitionBody } from '../offline';
import { actionForm, input, textArea } from './actions';
import type { CaseContext, Detail } from './case';

/**
 * Hearing the party before a penalty (Administrative Penalty Law arts. 44, 45, 62–64): the forms of
 * the steps the server offers on an approved case, and the case page's record of the notice, the
 * statement and the hearing.
 */

type Step = 'notify_party' | 'record_statement' | 'waive_statement' | 'request_hearing' | 'record_hearing';

/** A moment typed in a `datetime-local` field, as an instant; blank stays out. */
const instant = (v: unknown) => (typeof v === 'string' && v !== '' ? new Date(v).toISOString() : undefined);

function choices(name: string, values: readonly string[], label: (v: string) => string, checked: string, legend: string): HTMLElement {
  return h('fieldset', { class: 'choices' }, h('legend', null, legend, ' *'),
    values.map((v) => h('label', { class: 'choice' }, h('input', { type: 'radio', name, value: v, required: true, checked: v === checked }), label(v))));
}

/** The reviewers the case names (those who reviewed it or gave an opinion): who may preside over its hearing. */
function reviewersOf(detail: Detail): string[] {
  return [...new Set([...detail.reviews.map((r) => r.reviewer), ...detail.consultations.map((c) => c.reviewer)])];
}

export function hearingForm(event: Step, ctx: CaseContext): HTMLElement {
  const detail = ctx.detail;
  switch (event) {
    case 'notify_party': {
      const revision = detail.proposals.at(-1)?.revision ?? 0;
      const hint = t('noticeHint', { n: revision, hearing: detail.procedure.hearingAvailable ? t('noticeHintHearing') : '' });
      return actionForm('notify_party', ctx, [
        h('p', { class: 'muted', id: 'f-notice-hint' }, hint),
        choices('method', ['in_person', 'post', 'electronic'], (m) => t(`svc_${m}`), 'in_person', t('serviceMethod')),
        ...input('servedAt', t('servedAt'), false, { type: 'datetime-local' }),
        ...input('note', t('note'), false)],
      (v) => ({ event: 'notify_party', method: v.method, ...(instant(v.servedAt) ? { servedAt: instant(v.servedAt) } : {}), ...(v.note ? { note: v.note } : {}) } as TransitionBody));
    }
    case 'record_statement':
      return actionForm('record_statement', ctx, [
        ...textArea('statement', t('partyStatement'), true),
        choices('answer', ['accepted', 'partly_accepted', 'not_accepted'], (a) => t(`ans_${a}`), '', t('statementAnswer')),
        ...textArea('reply', t('officersReply'), true)],
      (v) => ({ event: 'record_statement', ...v } as TransitionBody), 'secondary');
    case 'waive_statement':
      return actionForm('waive_statement', ctx, [...textArea('document', t('waiverDocument'), true)], (v) => ({ event: 'waive_statement', ...v } as TransitionBody), 'secondary');
    case 'request_hearing':
      return actionForm('request_hearing', ctx, [...input('requestedAt', t('hearingRequestedAt'), false, { type: 'datetime-local' }), ...input('note', t('note'), false)],
        (v) => ({ event: 'request_hearing', ...(instant(v.requestedAt) ? { requestedAt: instant(v.requestedAt) } : {}), ...(v.note ? { note: v.note } : {}) } as TransitionBody), 'secondary');
    case 'record_hearing': {
      const reviewers = reviewersOf(detail);
      return actionForm('record_hearing', ctx, [
        ...input('heldAt', t('heldAt'), true, { type: 'datetime-local' }),
        h('label', { for: 'f-presider' }, t('presidedBy'), ' *'),
        h('select', { name: 'presidedBy', id: 'f-presider', required: true }, h('option', { value: '' }, t('choosePresider')),
          reviewers.map((r) => h('option', { value: r }, person(detail, r)))),
        ...textArea('transcriptSummary', t('transcriptSummary'), true)],
      (v) => ({ event: 'record_hearing', heldAt: instant(v.heldAt), presidedBy: v.presidedBy, transcriptSummary: v.transcriptSummary } as TransitionBody));
    }
    default: {
      const never: never = event;
      return h('p', null, String(never));
    }
  }
}

/** The notice, the party's statement and our answer, its waiver, the hearing: as the case page shows them. */
export function procedurePanel(detail: Detail): HTMLElement | null {
  const p = detail.procedure;
  if (!p.notice && !['approved', 'decided', 'closed'].includes(detail.state)) return null;
  if (!p.notice && !detail.proposals.at(-1)?.penalties.some((x) => x !== 'no_penalty')) return null;
  const n = p.notice;
  return h('section', { class: 'panel procedure', id: 'd-procedure', 'aria-labelledby': 'h-procedure' },
    h('h2', { id: 'h-procedure' }, t('procedureTitle')),
    n
      ? h('div', null,
        h('p', { id: 'd-notice-served' }, t('noticeServed', { n: n.revision, by: person(detail, n.servedBy), method: t(`svc_${n.method}`), at: when(n.servedAt, true) })),
        p.current ? null : h('p', { class: 'warn', id: 'd-notice-voided' }, t('noticeVoided')),
        h('dl', { class: 'facts' },
          h('dt', null, t('statementDue')), h('dd', null, when(n.statementDueAt, true)),
          h('dt', null, t('hearingDue')), h('dd', null, n.hearingRequestDueAt ? when(n.hearingRequestDueAt, true) : t('noHearingRight'))))
      : h('p', { class: 'muted', id: 'd-not-notified' }, t('notNotified')),
    p.statements.length
      ? h('ul', { id: 'd-statements' }, p.statements.map((s) => h('li', null,
        h('p', null, h('strong', null, t('partyStatement')), ' ', s.statement),
        h('p', null, h('strong', null, `${t('officersReply')} (${t(`ans_${s.answer}`)})`), ' ', s.reply, ' ', h('span', { class: 'muted' }, `${person(detail, s.recordedBy)} ${when(s.at, true)}`)))))
      : null,
    p.waiver ? h('p', { id: 'd-waiver' }, t('waiverRecorded', { doc: p.waiver.document })) : null,
    p.hearingRequest ? h('p', { id: 'd-hearing-request' }, t('hearingRequested', { at: when(p.hearingRequest.requestedAt, true) })) : null,
    p.hearing ? h('p', { id: 'd-hearing' }, t('hearingHeld', { at: when(p.hearing.heldAt, true), by: person(detail, p.hearing.presidedBy), summary: p.hearing.transcriptSummary })) : null);
}

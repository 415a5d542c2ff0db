import { call, ApiError, type Res } from '../api/client';
import { h, mount, place } from '../dom';
import { countdown, localName, person, when, yuan } from '../format';
import { lang, t } from '../i18n';
import { reviewReasons } from '../review-reasons';
import { perform, type Op, type Outcome } from '../offline';
import { state } from '../state';
import { actionForms } from './actions';
import { procedurePanel } from './hearing';
import { evidencePanel, photoForm } from './evidence';
import { benchmarkTable } from './propose';
import type { View } from './view';
import { caseComplaintsPanel } from './complaints';
import { explain, refusal } from '../errors';

export type Detail = Res<'GET /api/v1/cases/{id}'>;
export type EvidenceList = Res<'GET /api/v1/cases/{id}/evidence'>;

/** Last case details seen: what an officer who lost the connection still has in front of them. */
const cache = new Map<string, { detail: Detail; evidence: EvidenceList | null }>();
/** The citizen complaints fused into each case (kept like the case, for a reopened view offline). */
const complaintsOf = new Map<string, Res<'GET /api/v1/cases/{id}/complaints'>>();
type Audit = Res<'GET /api/v1/cases/{id}/audit'>;
/** Each case record's hash chain as the server last verified it. */
const auditOf = new Map<string, Audit>();

export interface CaseContext {
  detail: Detail;
  evidence: EvidenceList | null;
  layout: 'tablet' | 'desk';
  /** Sends (or queues) an action on this case and re-reads it; resolves with what happened. */
  act(op: Op): Promise<Outcome>;
}

/** A case: what, where, when; the evidence as pictures; the legal frame; the steps the server allows now; the record. */
export function caseView(id: string, layout: 'tablet' | 'desk'): View {
  const error = h('p', { id: 'd-error', class: 'error', role: 'alert' });
  const notice = h('p', { id: 'd-notice', class: 'notice', role: 'status' });
  const body = h('div', { class: 'case-body' }, h('p', { class: 'muted' }, t('loading')));
  const el = h('section', { id: 'detail', class: ['detail', layout] },
    h('a', { href: layout === 'desk' ? '#/review' : '#/inbox', class: 'back' }, `← ${t(layout === 'desk' ? 'tabReview' : 'tabInbox')}`),
    error, notice, body);
  let actionsKey = '';
  /** The steps panel, its heading and the forms in it stay in the page across refreshes (see `place`). */
  const actionsTitle = h('h2', { id: 'h-actions' }, t('actionsTitle'));
  const actionsEl = h('section', { id: 'd-actions', class: 'panel actions', 'aria-labelledby': 'h-actions' });
  let formsEl: HTMLElement | null = null;
  const complaintsPart = caseComplaintsPanel(['officer', 'team_lead'].includes(state.user!.role), () => void load().catch(() => undefined));
  /** The two columns, kept while the layout stays (desk, tablet, or tablet with a proposal across the screen). */
  let shell: { variant: string; grid: HTMLElement; left: HTMLElement; right: HTMLElement } | null = null;
  /** The photo form, kept while it is offered: a refresh must not lose the file picked in it. */
  let photoEl: HTMLElement | null = null;
  const evidencePart = evidencePanel();
  let disposed = false;

  const act = async (op: Op): Promise<Outcome> => {
    error.textContent = '';
    notice.textContent = '';
    const current = cache.get(id);
    const outcome = await perform(state.user!.id, id, op, current?.detail.number);
    if (outcome.status === 'refused') error.textContent = refusal(outcome.code, outcome.error);
    else if (outcome.status === 'queued') notice.textContent = t('queuedNotice');
    if (outcome.status === 'done') {
      await load().catch(() => undefined);
      if (op.kind === 'transition' || op.kind === 'presence') {
        // The form tapped is gone and the page below it rearranged: say it was done, and show the case's
        // new state and the steps that follow from the top, not the middle of a page that moved.
        notice.textContent = t('stepDone', { step: opLabel(op) });
        if (!disposed) window.scrollTo({ top: 0 });
      }
    } else render();
    return outcome;
  };

  /** The case as last read, for a form kept across refreshes: it reads the case when submitted. */
  const latest: CaseContext = {
    get detail() { return cache.get(id)!.detail; },
    get evidence() { return cache.get(id)?.evidence ?? null; },
    layout,
    act,
  };

  // Reads overlap (a step's own re-read, live updates): an answer older than the one shown is dropped,
  // so a slow first read cannot put back the case as it was before a later one.
  let reads = 0;
  let shown = 0;
  const load = async () => {
    const n = ++reads;
    const detail = await call('GET /api/v1/cases/{id}', { params: { id } });
    const evidence = await call('GET /api/v1/cases/{id}/evidence', { params: { id } }).catch(() => null);
    const complaints = await call('GET /api/v1/cases/{id}/complaints', { params: { id } }).catch(() => complaintsOf.get(id) ?? []);
    const audit = await call('GET /api/v1/cases/{id}/audit', { params: { id } }).catch(() => null);
    if (n < shown) return;
    shown = n;
    complaintsOf.set(id, complaints);
    if (audit) auditOf.set(id, audit);
    else auditOf.delete(id);
    cache.set(id, { detail, evidence });
    state.fresh.delete(id);
    render();
  };

  // A press on the case holds back its re-rendering until the click that follows the release: a new
  // layout, or forms rebuilt because the allowed steps changed, would otherwise move or replace the
  // pressed button under the finger, and Chromium drops a click whose button left the document.
  let pressed = false;
  let heldBack = false;
  let pressTimer: ReturnType<typeof setTimeout> | undefined;
  const endPress = () => {
    if (!pressed) return;
    pressed = false;
    clearTimeout(pressTimer);
    if (heldBack) {
      heldBack = false;
      render();
    }
  };
  /** The press ends once its click was dispatched; a tap's click can follow its pointerup in a later task. */
  const endPressSoon = (ms: number) => {
    if (!pressed) return;
    clearTimeout(pressTimer);
    pressTimer = setTimeout(endPress, ms);
  };
  const onRelease = () => endPressSoon(CLICK_AFTER_RELEASE_MS);
  const onClick = () => endPressSoon(0);
  el.addEventListener('pointerdown', () => {
    pressed = true;
    // A release the page never hears of (let go outside the window) holds the case back no longer than this.
    endPressSoon(PRESS_HOLD_MAX_MS);
  });
  document.addEventListener('pointerup', onRelease, true);
  document.addEventListener('pointercancel', onRelease, true);
  document.addEventListener('click', onClick, true);

  const render = () => {
    if (disposed) return;
    if (pressed) {
      heldBack = true;
      return;
    }
    const c = cache.get(id);
    if (!c) return;
    const { detail, evidence } = c;
    const ctx: CaseContext = { detail, evidence, layout, act };
    const pending = state.outbox.filter((i) => i.caseId === id);
    const key = `${detail.state}|${detail.actions.join()}|${detail.presence?.confirmedAt ?? ''}`;
    // The forms are rebuilt only when what may be done changed, and what was typed into a form that is
    // still offered carries over, so a live refresh never wipes what is being typed, nor (left in
    // place) a tap on a form's button.
    if (key !== actionsKey || !formsEl) {
      actionsKey = key;
      const typed = formsEl ? typedValues(formsEl) : [];
      formsEl = actionForms(ctx);
      restoreTyped(formsEl, typed);
    }
    place(actionsEl, actionsTitle,
      pending.length ? h('ul', { class: 'pending-list', id: 'd-pending' }, pending.map((p) =>
        h('li', { class: p.status }, h('b', null, p.status === 'pending' ? t('pending') : t('refused')), ` ${opLabel(p.op)}${p.error ? ` — ${refusal(p.code, p.error)}` : ''}`))) : null,
      formsEl);
    const head = h('header', { class: 'case-head' },
      h('div', null,
        h('h1', null, `#${detail.number} ${t(`kind_${detail.kind}`)} · ${localName(detail.zoneName, detail.zoneNameZh)}`),
        h('p', { class: 'case-title' }, localName(detail.title, detail.titleZh))),
      h('span', { id: 'd-state', class: ['state', 'big', `st-${detail.state}`], 'data-state': detail.state }, t(`state_${detail.state}`)));
    const facts = h('dl', { class: 'facts', id: 'd-facts' },
      fact(t('reported'), when(detail.createdAt)),
      fact(t('team'), detail.teamId ? localName(detail.teamName ?? detail.teamId, detail.teamNameZh) : t('fallbackQueue')),
      detail.supportTeamId ? fact(t('supportTeam'), detail.supportTeamName ? localName(detail.supportTeamName, detail.supportTeamNameZh) : detail.supportTeamId) : null,
      fact(t('alertsLabel'), String(detail.alertCount)),
      fact(t('onSiteDue'), detail.slaDueAt ? `${when(detail.slaDueAt)} ${countdown(['reported', 'dispatched', 'accepted'].includes(detail.state) ? detail.slaDueAt : null).text}` : '—'),
      detail.onSiteOfficers ? fact(t('onSiteOfficers'), detail.onSiteOfficers.map((o) => person(detail, o)).join('、')) : null,
      detail.decisionDeadline ? fact(t('decisionDue'), `${when(detail.decisionDeadline.dueAt)} (${t('daysLeft', { n: detail.decisionDeadline.daysLeft })})`) : null,
      detail.resolution ? fact(t('resolution'), `${t(`outcome_${detail.resolution.outcome}`)}: ${detail.resolution.summary}`) : null,
      detail.dismissalReason ? fact(t('dismissalReason'), detail.dismissalReason) : null);
    const legal = detail.benchmark.length
      ? h('section', { class: 'panel legal', 'aria-labelledby': 'h-legal' },
        h('h2', { id: 'h-legal' }, t('legalTitle')),
        h('p', { id: 'd-matter' }, h('strong', null, t('matter')), ' ', detail.matterCode ? `${localName(detail.matterName, detail.matterNameZh)} (${detail.matterCode})` : '—'),
        h('p', { id: 'd-basis' }, h('strong', null, t('legalBasis')), ' ', localName(detail.benchmark[0]!.legalBasis, detail.benchmark[0]!.legalBasisZh)),
        h('p', null, h('strong', null, t('suggestedTier')), ' ', h('span', { class: 'tier-tag', id: 'd-suggested' }, t(`tier_${suggestTier(detail)}`)), ' ', h('span', { class: 'muted' }, t('suggestedWhy'))),
        benchmarkTable(detail.benchmark, 'individual', suggestTier(detail)))
      : h('section', { class: 'panel legal' }, h('h2', null, t('legalTitle')), h('p', { class: 'muted' }, t('noPenaltyMatter')));
    const record = h('section', { class: 'panel record', 'aria-labelledby': 'h-record' },
      h('h2', { id: 'h-record' }, t('recordTitle')),
      chainCheck(auditOf.get(id)),
      h('ol', { id: 'd-events', class: 'timeline' }, detail.events.map((e) =>
        h('li', { 'data-seq': e.seq }, h('time', { dateTime: e.at }, when(e.at, true)), ' ', h('strong', null, t(`ev_${e.type}`)), ' ', h('span', { class: 'muted actor', 'data-actor': e.actor }, person(detail, e.actor)),
          ' ', h('code', { class: 'hash', title: `SHA-256 ${e.hash}` }, e.hash.slice(0, 8))))),
      reviewRecord(detail));
    const evidenceEl = evidencePart(ctx);
    // Like the forms: a complaint is rebuilt only when it changed, so a reply being written survives a refresh.
    const complaintsEl = complaintsPart(complaintsOf.get(id) ?? []);
    const photoOffered = ['dispatched', 'accepted', 'on_site', 'decision_proposed', 'returned', 'resolved_on_site'].includes(detail.state) && ['officer', 'team_lead'].includes(state.user!.role);
    // Built once while offered; on submit it reads the case as it is then, not as it was when built.
    photoEl = photoOffered ? (photoEl ?? photoForm(latest)) : null;
    const photo = photoEl;
    // A proposal needs the room: its form beside the benchmark, across the screen.
    // Approved, the proposal is revised only after the party was heard: the steps that hear it come first.
    const variant = layout === 'desk' ? 'desk' : detail.actions.includes('propose_decision') && detail.state !== 'approved' ? 'wide' : 'tablet';
    if (shell?.variant !== variant) {
      const left = h('div', { class: 'col' });
      const right = h('div', { class: 'col' });
      shell = { variant, grid: h('div', { class: variant === 'desk' ? 'desk-grid' : 'tablet-grid' }, left, right), left, right };
    }
    const procedure = procedurePanel(detail);
    if (variant === 'desk') {
      place(shell.left, complaintsEl, evidenceEl, record);
      place(shell.right, proposalPanel(detail), procedure, actionsEl, legal);
      place(body, head, facts, shell.grid);
    } else if (variant === 'wide') {
      place(shell.left, photo, record);
      place(shell.right, procedure, complaintsEl, evidenceEl, legal);
      place(body, head, facts, actionsEl, shell.grid);
    } else {
      place(shell.left, actionsEl, procedure, photo);
      place(shell.right, complaintsEl, evidenceEl, legal, record);
      place(body, head, facts, shell.grid);
    }
  };

  void load().catch((err: unknown) => {
    if (cache.has(id)) {
      render();
      notice.textContent = t('offlineCopy');
    } else mount(body, h('p', { class: 'error' }, err instanceof ApiError && err.status === 404 ? t('caseNotFound') : t('offlineNoCopy')));
  });

  return {
    el,
    update(c) {
      if (c.type === 'case.updated' && c.caseId === id) void load().catch(() => undefined);
      else if (c.type === 'outbox') {
        // A queued step was sent (or refused): re-read the case when online.
        if (navigator.onLine) void load().catch(() => render());
        else render();
      }
    },
    dispose() {
      disposed = true;
      clearTimeout(pressTimer);
      document.removeEventListener('pointerup', onRelease, true);
      document.removeEventListener('pointercancel', onRelease, true);
      document.removeEventListener('click', onClick, true);
    },
  };
}

/** Longest a press holds back the case's re-rendering; and how long after the release its click may come. */
const PRESS_HOLD_MAX_MS = 5000;
const CLICK_AFTER_RELEASE_MS = 300;

const fact = (k: string, v: string) => [h('dt', null, k), h('dd', null, v)];

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
interface Typed { selector: string; value?: string; checked?: boolean }

/** What the user changed in the action forms (values unlike the field's default), by form and field. */
function typedValues(root: HTMLElement): Typed[] {
  const out: Typed[] = [];
  for (const form of root.querySelectorAll<HTMLFormElement>('form[data-event]')) {
    for (const el of form.querySelectorAll<Field>('input[name], textarea[name], select[name]')) {
      const at = `form[data-event="${form.dataset.event ?? ''}"] [name="${el.name}"]`;
      if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) {
        if (el.checked !== el.defaultChecked) out.push({ selector: `${at}[value="${CSS.escape(el.value)}"]`, checked: el.checked });
      } else if (el instanceof HTMLSelectElement) {
        if ([...el.options].some((o) => o.selected !== o.defaultSelected)) out.push({ selector: at, value: el.value });
      } else if (el.type !== 'file' && el.value !== el.defaultValue) out.push({ selector: at, value: el.value });
    }
  }
  return out;
}

function restoreTyped(root: HTMLElement, typed: readonly Typed[]): void {
  for (const t of typed) {
    const el = root.querySelector<Field>(t.selector);
    if (!el) continue;
    if (t.checked !== undefined && el instanceof HTMLInputElement) el.checked = t.checked;
    else if (t.value !== undefined) {
      el.value = t.value;
      // What depends on a typed value (e.g. the fine's place in its tier) follows it.
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }
}

export function opLabel(op: Op): string {
  switch (op.kind) {
    case 'transition': return t(`act_${op.body.event}`);
    case 'evidence': return `${t('photo')} ${op.filename}`;
    case 'sensor-review': return t('reviewRecord');
    case 'file-review': return t('reviewFile');
    case 'presence': return t('confirmPresence');
    default: return '';
  }
}

/** The tier the facts on file point to: a party with earlier cases of the matter is not treated as a first offender. */
export function suggestTier(detail: Detail, earlier = 0): string {
  const last = detail.proposals.at(-1);
  if (last?.tier) return last.tier;
  if (earlier >= 2) return 'aggravated';
  if (earlier === 1) return 'normal';
  const laeq = detail.alerts.map((a) => (a as { evidence?: { laeq?: number; limit?: { laeq?: number } } }).evidence).find((e) => e?.laeq && e.limit?.laeq);
  if (laeq && laeq.laeq! - laeq.limit!.laeq! > 10) return 'aggravated';
  return detail.benchmark.some((b) => b.tier === 'mitigated') ? 'mitigated' : 'normal';
}

function proposalPanel(detail: Detail): HTMLElement | null {
  const p = detail.proposals.at(-1);
  if (!p) return null;
  const tier = detail.benchmark.find((b) => b.tier === p.tier && b.partyKind === (p.partyKind ?? 'individual'));
  const kind = detail.benchmark.filter((b) => b.partyKind === (p.partyKind ?? 'individual') && b.maxFineYuan > 0);
  const statutory = kind.length ? [Math.min(...kind.map((b) => b.minFineYuan)), Math.max(...kind.map((b) => b.maxFineYuan))] : null;
  return h('section', { class: 'panel proposal', id: 'd-proposal', 'aria-labelledby': 'h-proposal' },
    h('h2', { id: 'h-proposal' }, t('proposalTitle', { n: p.revision })),
    h('div', { class: 'side-by-side' },
      h('dl', { class: 'facts' },
        fact(t('party'), `${p.party}${p.partyId ? ` (${p.partyId})` : ''}`),
        fact(t('facts'), p.facts),
        fact(t('legalBasis'), p.legalBasis),
        fact(t('penalties'), p.penalties.map((x) => t(`pen_${x}`)).join('、')),
        fact(t('fine'), yuan(p.fineYuan)),
        fact(t('tier'), p.tier ? t(`tier_${p.tier}`) : '—'),
        fact(t('reviewLevel'), `${p.reviewLevel ? t(`level_${p.reviewLevel}`) : '—'} ${reviewReasons(p.reviewReasons, lang())}`)),
      h('div', { class: 'bounds' },
        h('h3', null, t('benchmarkVsProposal')),
        tier ? h('p', null, `${t('tierRange')}: ${yuan(tier.minFineYuan)}–${yuan(tier.maxFineYuan)}`) : null,
        statutory ? h('p', null, `${t('statutoryBounds')}: ${yuan(statutory[0])}–${yuan(statutory[1])}`) : null,
        p.outsideBenchmark ? h('p', { class: 'warn' }, t('outsideBenchmark')) : h('p', { class: 'ok' }, t('insideBenchmark')),
        p.partyId ? partyHistory(p.partyId, detail.id) : null)));
}

/** The party's other cases (the reviewer's view of repeat violations), looked up for this case (on the party access log). */
export function partyHistory(partyId: string, caseId: string): HTMLElement {
  const box = h('div', { class: 'party-history', id: 'party-history' }, h('p', { class: 'muted' }, t('loading')));
  void call('GET /api/v1/parties/{id}/cases', { params: { id: partyId }, query: { caseId } }).then((list) => {
    const others = list.filter((c) => c.caseId !== caseId);
    mount(box, h('h3', null, t('partyHistory')),
      others.length
        ? h('ul', null, others.map((c) => h('li', null, `#${c.number} ${c.matterCode ?? ''} · ${t(`state_${c.state}`)} · ${when(c.createdAt, true)}${c.fineYuan ? ` · ¥${c.fineYuan}` : ''}`)))
        : h('p', { class: 'muted' }, t('noEarlierCases')));
  }).catch((err: unknown) => mount(box, h('p', { class: 'error' }, explain(err))));
  return box;
}

/**
 * Whether the record is what was written: the server recomputes the hash chain of the case's events
 * (each hash over the one before and the event), and names an edited, missing, reordered or inserted one.
 */
function chainCheck(audit: Audit | undefined): HTMLElement | null {
  if (!audit) return null;
  const v = audit.verification;
  if (v.ok) {
    return h('p', { id: 'd-chain', class: 'chain ok', role: 'status' },
      t('chainOk', { n: v.events, head: (audit.head.hash ?? '').slice(0, 16) }));
  }
  return h('div', { id: 'd-chain', class: 'chain bad', role: 'alert' },
    h('strong', null, t('chainBroken')),
    h('ul', null, v.problems.map((p) => h('li', null, t(`chain_${p.kind}`, { seq: p.seq })))));
}

function reviewRecord(detail: Detail): HTMLElement | null {
  if (!detail.reviews.length && !detail.consultations.length) return null;
  return h('div', { class: 'reviews', id: 'd-reviews' },
    h('h3', null, t('reviewsTitle')),
    h('ul', null,
      detail.consultations.map((c) => h('li', null, `${t('consulted')} ${person(detail, c.reviewer)}: ${c.opinion ?? t('awaitingOpinion')}`)),
      detail.reviews.map((r) => h('li', null, `${when(r.at, true)} ${person(detail, r.reviewer)} ${t(`review_${r.outcome}`)}${r.opinion ? `: ${r.opinion}` : ''}`))));
}

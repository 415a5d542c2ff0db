import { describe, expect, it } from 'vitest';
import { CASE_STATES } from '../../enforcement-api/domain/case-lifecycle.js';
import { dueStatus, escalationEvent, filingDeadlines, metStatus, reportDeadlines, settlementOf } from '../../enforcement-api/domain/sla.js';

const T0 = new Date('2026-05-01T12:00:00.000Z');
const min = (n: number) => new Date(T0.getTime() + n * 60_000);
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

describe('SLA deadlines (enforcement-api/domain/sla.ts)', () => {
  it('gives a reported case its accept and on-site deadlines from the matter, none without a matter', () => {
    expect(reportDeadlines(T0, { acceptSlaMinutes: 3, slaMinutes: 10 })).toEqual([
      { name: 'accept', kind: 'deadline', stage: 'accepted', dueAt: min(3) },
      { name: 'on_site', kind: 'deadline', stage: 'on_site', dueAt: min(10) },
    ]);
    expect(reportDeadlines(T0, null)).toEqual([]);
  });

  it('gives a filed case its decision deadline and the warnings before it, in order, once each', () => {
    // Each warning from the start of its calendar day after the filing date (UTC here), like the deadline's days.
    const startOfDay = (n: number) => new Date(Date.UTC(2026, 4, 1) + n * 86_400_000);
    expect(filingDeadlines(T0, day(90), [80, 60, 60, 95])).toEqual([
      { name: 'decision_warning_60', kind: 'warning', stage: 'decided', dueAt: startOfDay(60) },
      { name: 'decision_warning_80', kind: 'warning', stage: 'decided', dueAt: startOfDay(80) },
      { name: 'decision', kind: 'deadline', stage: 'decided', dueAt: day(90) },
    ]);
  });

  it('settles deadlines by the state reached, for every state', () => {
    const table = Object.fromEntries(CASE_STATES.map((s) => [s, settlementOf(s)]));
    expect(table).toEqual({
      reported: { meets: [], cancelRest: false, cancelWarnings: false },
      dispatched: { meets: [], cancelRest: false, cancelWarnings: false },
      accepted: { meets: ['accept'], cancelRest: false, cancelWarnings: false },
      on_site: { meets: ['accept', 'on_site'], cancelRest: false, cancelWarnings: false },
      resolved_on_site: { meets: [], cancelRest: true, cancelWarnings: true },
      decision_proposed: { meets: [], cancelRest: false, cancelWarnings: false },
      under_review: { meets: [], cancelRest: false, cancelWarnings: false },
      approved: { meets: [], cancelRest: false, cancelWarnings: false },
      returned: { meets: [], cancelRest: false, cancelWarnings: false },
      decided: { meets: ['decision'], cancelRest: false, cancelWarnings: true },
      closed: { meets: [], cancelRest: true, cancelWarnings: true },
      dismissed: { meets: [], cancelRest: true, cancelWarnings: true },
    });
  });

  it('calls a stage reached on time met, later missed; a due deadline escalates, a due warning is reached', () => {
    expect(metStatus(min(10), min(10))).toBe('met');
    expect(metStatus(min(10), new Date(min(10).getTime() + 1))).toBe('missed');
    expect([dueStatus('deadline'), escalationEvent('deadline')]).toEqual(['missed', 'sla.escalated']);
    expect([dueStatus('warning'), escalationEvent('warning')]).toEqual(['reached', 'sla.warning']);
  });
});

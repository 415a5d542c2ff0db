import { describe, expect, it } from 'vitest';
import { creditColour, DEFAULT_CREDIT_POLICY, periodKey, periodRange, type CreditRecord } from '../../enforcement-api/domain/credit.js';
import { openingRefusal, type OpeningFacts } from '../../enforcement-api/domain/inspection-rules.js';

const clean: CreditRecord = { decidedCases: 0, sensorViolations: 0, corrections: 0, complaintsUpheld: 0 };

describe('three-colour credit', () => {
  it('changes colour with reasons as the record grows', () => {
    expect(creditColour(clean)).toEqual({ colour: 'green', points: 0, reasons: [{ code: 'CLEAN_RECORD', count: 0, points: 0, text: 'no violations on record' }] });
    const one = creditColour({ ...clean, sensorViolations: 1 });
    expect(one.colour).toBe('yellow');
    expect(one.reasons).toEqual([{ code: 'SENSOR_VIOLATIONS', count: 1, points: 1, text: '1 violation recorded by sensors' }]);
    const decided = creditColour({ ...clean, sensorViolations: 1, decidedCases: 1 });
    expect(decided).toMatchObject({ colour: 'yellow', points: 4 });
    const two = creditColour({ ...clean, sensorViolations: 2, decidedCases: 2 });
    expect(two.colour).toBe('red');
    expect(two.reasons.map((r) => r.code)).toEqual(['DECIDED_CASES', 'SENSOR_VIOLATIONS']);
    expect(creditColour({ ...clean, complaintsUpheld: 3 })).toMatchObject({ colour: 'red', points: 6 });
  });

  it('lets corrections bring a sensor record back to green, but not below the decided cases', () => {
    expect(creditColour({ ...clean, sensorViolations: 1, corrections: 1 })).toMatchObject({ colour: 'green', points: 0 });
    const r = creditColour({ ...clean, decidedCases: 2, corrections: 5 });
    expect(r).toMatchObject({ colour: 'red', points: 6 });
    expect(r.reasons.find((x) => x.code === 'CORRECTIONS')).toEqual({ code: 'CORRECTIONS', count: 5, points: -5, text: '5 violations corrected' });
  });

  it('follows the configured thresholds and refuses a record that is not counts', () => {
    expect(creditColour({ ...clean, sensorViolations: 3 }, { ...DEFAULT_CREDIT_POLICY, yellowAt: 4 }).colour).toBe('green');
    expect(creditColour({ ...clean, sensorViolations: 3 }, { ...DEFAULT_CREDIT_POLICY, redAt: 3 }).colour).toBe('red');
    expect(() => creditColour({ ...clean, decidedCases: -1 })).toThrow(RangeError);
    expect(() => creditColour({ ...clean, corrections: 0.5 })).toThrow(RangeError);
  });

  it('names scheduling periods', () => {
    const d = new Date('2026-12-02T10:00:00Z');
    expect([periodKey('quarter', d), periodKey('month', d), periodKey('week', d), periodKey('day', d)]).toEqual(['2026-Q4', '2026-12', '2026-W49', '2026-12-02']);
    expect(periodKey('week', new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(periodRange('quarter', d)).toEqual({ from: '2026-10-01', to: '2026-12-31' });
    expect(periodRange('month', new Date('2028-02-10T00:00:00Z'))).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });
});

const reg = (userId: string, items = ['I1'], validUntil = '2027-12-31') => ({ userId, certificateNo: `C-${userId}`, validFrom: '2026-01-01', validUntil, items });
const facts = (over: Partial<OpeningFacts> = {}): OpeningFacts => ({
  day: '2026-12-02', itemCode: 'I1', item: { code: 'I1', entityKinds: ['vendor'] }, entity: { id: 'e1', kind: 'vendor', partyId: 'P1' },
  lead: { userId: 'a', registration: reg('a') }, second: { userId: 'b', registration: reg('b') }, assigned: [], lastOpenedAt: null, repeatDays: 90,
  now: new Date('2026-12-02T08:00:00Z'), justifyingCase: null, ...over,
});

describe('who may open an inspection', () => {
  it('allows two registered, certified inspectors for a listed item', () => {
    expect(openingRefusal(facts())).toBeUndefined();
  });
  it.each([
    ['ITEM_NOT_LISTED', { item: null }],
    ['ITEM_NOT_FOR_ENTITY', { entity: { id: 'e1', kind: 'restaurant', partyId: null } }],
    ['INSPECTOR_NOT_REGISTERED', { lead: { userId: 'a', registration: null } }],
    ['CERTIFICATE_NOT_VALID', { lead: { userId: 'a', registration: reg('a', ['I1'], '2026-11-30') } }],
    ['ITEM_NOT_PERMITTED', { lead: { userId: 'a', registration: reg('a', ['I2']) } }],
    ['SECOND_INSPECTOR_REQUIRED', { second: { userId: 'a', registration: reg('a') } }],
    ['SECOND_INSPECTOR_REQUIRED', { second: { userId: null, registration: null } }],
    ['SECOND_INSPECTOR_NOT_CERTIFIED', { second: { userId: 'b', registration: null } }],
    ['SECOND_INSPECTOR_NOT_CERTIFIED', { second: { userId: 'b', registration: reg('b', ['I2']) } }],
    ['NOT_ASSIGNED', { assigned: ['a', 'c'] }],
    ['REPEAT_INSPECTION', { lastOpenedAt: new Date('2026-10-01T00:00:00Z') }],
    ['CASE_DOES_NOT_JUSTIFY', { lastOpenedAt: new Date('2026-10-01T00:00:00Z'), justifyingCase: { id: 'k', partyId: 'OTHER', state: 'decided' } }],
    ['CASE_DOES_NOT_JUSTIFY', { lastOpenedAt: new Date('2026-10-01T00:00:00Z'), justifyingCase: { id: 'k', partyId: 'P1', state: 'dismissed' } }],
  ] as [string, Partial<OpeningFacts>][])('refuses with %s', (code, over) => {
    expect(openingRefusal(facts(over))?.code).toBe(code);
  });
  it('allows a repeat after the period, or within it when a case about the party justifies it', () => {
    expect(openingRefusal(facts({ lastOpenedAt: new Date('2026-09-02T07:00:00Z') }))).toBeUndefined();
    expect(openingRefusal(facts({ lastOpenedAt: new Date('2026-11-01T00:00:00Z'), justifyingCase: { id: 'k', partyId: 'P1', state: 'on_site' } }))).toBeUndefined();
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, verifyChain, type ChainEvent } from '../../enforcement-api/cases/chain.js';

const CASE = 'c-1';

function chain(n: number): ChainEvent[] {
  const events: ChainEvent[] = [];
  let prev: string | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const e = { seq, at: new Date(Date.UTC(2025, 0, 1, 0, seq)).toISOString(), actor: `u-${seq % 2}`, type: `step${seq}`, data: { n: seq, nested: { b: 1, a: [seq, { y: 2, x: 1 }] } } };
    const hash = eventHash(prev, { caseId: CASE, ...e });
    events.push({ ...e, prevHash: prev, hash, hashVersion: 2 });
    prev = hash;
  }
  return events;
}
const head = (events: ChainEvent[]) => ({ seq: events.at(-1)?.seq ?? 0, hash: events.at(-1)?.hash ?? null });
const kinds = (events: ChainEvent[], h = head(chain(5))) => verifyChain(CASE, events, h).problems.map((p) => [p.kind, p.seq]);

describe('case event chain', () => {
  it('hashes canonical JSON, so the order jsonb gives keys back does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
    const e = { caseId: CASE, seq: 1, at: '2025-01-01T00:00:00.000Z', actor: 'a', type: 't' };
    expect(eventHash(null, { ...e, data: { x: 1, y: 2 } })).toBe(eventHash(null, { ...e, data: { y: 2, x: 1 } }));
    expect(eventHash(null, { ...e, data: { x: 1 } })).not.toBe(eventHash(null, { ...e, data: { x: 2 } }));
    expect(eventHash('p', { ...e, data: {} })).not.toBe(eventHash(null, { ...e, data: {} }));
  });

  it('accepts an intact chain', () => {
    const events = chain(5);
    expect(verifyChain(CASE, events, head(events))).toEqual({ ok: true, events: 5, problems: [] });
    expect(verifyChain(CASE, [], { seq: 0, hash: null }).ok).toBe(true);
  });

  it('finds an edited event, its data, time, actor or type', () => {
    for (const change of [
      (e: ChainEvent) => ({ ...e, data: { ...(e.data as object), n: 99 } }),
      (e: ChainEvent) => ({ ...e, data: { n: 3, nested: { b: 1, a: [3, { y: 2, x: 2 }] } } }),
      (e: ChainEvent) => ({ ...e, at: '2025-01-01T00:03:00.000001Z' }),
      (e: ChainEvent) => ({ ...e, actor: 'someone-else' }),
      (e: ChainEvent) => ({ ...e, type: 'approved' }),
    ]) {
      const events = chain(5);
      events[2] = change(events[2]!);
      expect(kinds(events)).toEqual([['edited', 3]]);
    }
  });

  it('finds an event whose hash was recomputed after an edit: the next link breaks', () => {
    const events = chain(5);
    const forged = { ...events[2]!, data: { n: 99 } };
    forged.hash = eventHash(forged.prevHash, { caseId: CASE, ...forged });
    events[2] = forged;
    expect(kinds(events)).toEqual([['broken_link', 4]]);
  });

  it('finds deleted events in the middle, at the start and at the end', () => {
    const full = chain(5);
    expect(kinds([full[0]!, full[1]!, full[3]!, full[4]!])).toEqual([['deleted', 3]]);
    expect(kinds(full.slice(1))).toEqual([['deleted', 1]]);
    expect(kinds(full.slice(0, 3))).toEqual([['deleted', 4]]);
    expect(verifyChain(CASE, full.slice(0, 3), head(full)).problems[0]?.message).toContain('events 4–5 missing at the end');
    expect(kinds([])).toEqual([['deleted', 1]]);
  });

  it('finds reordered events', () => {
    const full = chain(5);
    const swapped = [full[0]!, full[1]!, { ...full[3]!, seq: 3 }, { ...full[2]!, seq: 4 }, full[4]!];
    expect(kinds(swapped)).toEqual([['reordered', 3], ['reordered', 4]]);
  });

  it('finds events written around the application, after the recorded head', () => {
    const full = chain(5);
    expect(kinds(full, head(full.slice(0, 4)))).toEqual([['inserted', 5]]);
  });

  it('verifies version-1 events, hashed in insertion key order that jsonb did not keep', () => {
    const at = '2024-12-31T10:00:00.000Z';
    const sealed = { alertId: 'a1', kind: 'noise', zoneId: 'z-park-square' };
    const hash = createHash('sha256').update('').update('\n').update(JSON.stringify([CASE, 1, at, 'system', 'reported', sealed])).digest('hex');
    const fromJsonb = { kind: 'noise', zoneId: 'z-park-square', alertId: 'a1' }; // jsonb: shorter keys first
    const event: ChainEvent = { seq: 1, at, actor: 'system', type: 'reported', data: fromJsonb, prevHash: null, hash, hashVersion: 1 };
    expect(verifyChain(CASE, [event], { seq: 1, hash }).ok).toBe(true);
    expect(verifyChain(CASE, [{ ...event, data: { ...fromJsonb, zoneId: 'z-riverbank' } }], { seq: 1, hash }).problems).toMatchObject([{ kind: 'edited' }]);
  });
});

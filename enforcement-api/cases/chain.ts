import { createHash } from 'node:crypto';

/**
 * The hash chain of case events, pure. Each event's hash covers the previous event's hash and its own
 * content (case id, seq, time, actor, type, data); the case row keeps the head (last seq and hash), so
 * dropping events from the end is as visible as dropping them from the middle.
 *
 * Version 1 (events written before migration 6) hashed `data` in insertion key order, which jsonb does
 * not keep: those are verified by trying the orders of the top-level keys (their data is flat).
 * Version 2 hashes canonical JSON (keys sorted at every level), so stored jsonb verifies directly.
 */
export const HASH_VERSION = 2;

export interface EventContent {
  caseId: string;
  seq: number;
  /** ISO-8601 as sealed (millisecond precision). */
  at: string;
  actor: string;
  type: string;
  data: unknown;
}

import type { ChainEvent, ChainHead, ChainProblem, ChainVerification, ProblemKind } from '../../contract/http/cases.js';

export type { ChainEvent, ChainHead, ChainProblem, ChainVerification, ProblemKind };

/** JSON with object keys sorted at every level; what jsonb gives back hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const sha256 = (prevHash: string | null, canonical: string) => createHash('sha256').update(prevHash ?? '').update('\n').update(canonical).digest('hex');

export function eventHash(prevHash: string | null, e: EventContent, version: number = HASH_VERSION): string {
  const fields = [e.caseId, e.seq, e.at, e.actor, e.type, e.data];
  return sha256(prevHash, version === 1 ? JSON.stringify(fields) : canonicalJson(fields));
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i]!, ...rest];
  }
}

const MAX_LEGACY_KEYS = 7;

/** Whether `hash` seals this content after `prevHash`, under the event's hash version. */
export function hashMatches(prevHash: string | null, e: EventContent, hash: string, version: number): boolean {
  if (version !== 1) return eventHash(prevHash, e, version) === hash;
  const data = e.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return eventHash(prevHash, e, 1) === hash;
  const keys = Object.keys(data);
  if (keys.length > MAX_LEGACY_KEYS) return false;
  for (const order of permutations(keys)) {
    const reordered = Object.fromEntries(order.map((k) => [k, (data as Record<string, unknown>)[k]]));
    if (eventHash(prevHash, { ...e, data: reordered }, 1) === hash) return true;
  }
  return false;
}

const range = (from: number, to: number) => (from === to ? `event ${from}` : `events ${from}–${to}`);

/**
 * Walks one case's events (in stored seq order) against the head its case row recorded and reports
 * every edited, deleted, reordered or inserted event.
 */
export function verifyChain(caseId: string, events: readonly ChainEvent[], head: ChainHead | null): ChainVerification {
  const problems: ChainProblem[] = [];
  const lastSeq = events.at(-1)?.seq ?? 0;
  let expected = 1;
  let prevHash: string | null = null;
  let prevMoved = false; // the link after a moved event is broken by the move itself: not reported twice
  for (const e of events) {
    const gap = e.seq > expected;
    if (gap) problems.push({ seq: expected, kind: 'deleted', message: `${range(expected, e.seq - 1)} missing` });
    const content: EventContent = { caseId, seq: e.seq, at: e.at, actor: e.actor, type: e.type, data: e.data };
    if (!hashMatches(e.prevHash, content, e.hash, e.hashVersion)) {
      let movedFrom: number | undefined;
      for (let s = 1; s <= Math.max(lastSeq, head?.seq ?? 0) && movedFrom === undefined; s++) {
        if (s !== e.seq && hashMatches(e.prevHash, { ...content, seq: s }, e.hash, e.hashVersion)) movedFrom = s;
      }
      problems.push(movedFrom === undefined
        ? { seq: e.seq, kind: 'edited', message: `event ${e.seq} (${e.type}) does not match its hash: its content was changed` }
        : { seq: e.seq, kind: 'reordered', message: `event ${e.seq} (${e.type}) was sealed as event ${movedFrom}: events were reordered` });
    } else if (!gap && !prevMoved && e.prevHash !== prevHash) {
      problems.push({ seq: e.seq, kind: 'broken_link', message: `event ${e.seq} (${e.type}) does not follow event ${e.seq - 1}: an event before it was replaced or removed` });
    }
    prevMoved = problems.at(-1)?.seq === e.seq && problems.at(-1)?.kind === 'reordered';
    prevHash = e.hash;
    expected = e.seq + 1;
  }
  if (head) {
    if (head.seq > lastSeq) {
      problems.push({ seq: lastSeq + 1, kind: 'deleted', message: `${range(lastSeq + 1, head.seq)} missing at the end (the case records ${head.seq})` });
    } else if (head.seq < lastSeq) {
      problems.push({ seq: head.seq + 1, kind: 'inserted', message: `${range(head.seq + 1, lastSeq)} written after the recorded head (not through the application)` });
    } else if (lastSeq > 0 && head.hash !== prevHash) {
      problems.push({ seq: lastSeq, kind: 'edited', message: `event ${lastSeq} is not the one the case recorded as its last` });
    }
  }
  return { ok: problems.length === 0, events: events.length, problems };
}

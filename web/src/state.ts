import { call, currentUser, type User } from './api/client';
import type { CaseRow, LiveMessage, LiveState } from './live';
import { items, type OutboxItem } from './offline';

/** What every screen shares: who is signed in, the visible cases, the stream and the outbox. */
export const state = {
  user: null as User | null,
  cases: new Map<string, CaseRow>(),
  /** Cases that arrived live and were not opened yet (highlighted, counted in the tab). */
  fresh: new Set<string>(),
  live: 'offline' as LiveState,
  outbox: [] as OutboxItem[],
  zones: null as Awaited<ReturnType<typeof loadZones>> | null,
};

export type Change = LiveMessage | { type: 'outbox' } | { type: 'live' } | { type: 'tick' } | { type: 'cases' };
const listeners = new Set<(c: Change) => void>();
export const subscribe = (fn: (c: Change) => void): (() => void) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};
export const emit = (c: Change): void => listeners.forEach((fn) => fn(c));

export async function loadCases(): Promise<void> {
  const list = await call('GET /api/v1/cases', { query: { limit: 500 } });
  state.cases = new Map(list.map((c) => [c.id, c]));
  emit({ type: 'cases' });
}

export async function loadZones() {
  const zones = await call('GET /api/v1/zones');
  return zones;
}

export async function zones() {
  state.zones ??= await loadZones();
  return state.zones;
}

export async function refreshOutbox(): Promise<void> {
  const uid = currentUser()?.id;
  state.outbox = (await items()).filter((i) => i.userId === uid);
  emit({ type: 'outbox' });
}

const OPEN = new Set(['reported', 'dispatched', 'accepted', 'on_site', 'decision_proposed', 'under_review', 'approved', 'returned']);
export const isOpen = (c: CaseRow): boolean => OPEN.has(c.state);

/** Most urgent first: open before closed, drowning risk before fishing before noise, then the nearest deadline. */
const KIND_RANK: Record<string, number> = { crowding: 0, smoke: 1, intrusion: 2, fishing: 3, noise: 4, complaint: 5 };
export function byUrgency(a: CaseRow, b: CaseRow): number {
  const open = Number(isOpen(b)) - Number(isOpen(a));
  if (open) return open;
  const due = (c: CaseRow) => (c.slaDueAt && ['reported', 'dispatched', 'accepted'].includes(c.state) ? new Date(c.slaDueAt).getTime() : Infinity);
  const d = due(a) - due(b);
  if (d && Number.isFinite(d)) return d;
  if (due(a) !== due(b)) return due(a) === Infinity ? 1 : -1;
  const k = (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9);
  return k || b.createdAt.localeCompare(a.createdAt);
}

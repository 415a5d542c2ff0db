import { ApiError, call, currentUser, OfflineError, type Body, type Res } from './api/client';

/**
 * The outbox: every action an officer takes (a lifecycle step, a photo, a reviewed sensor record) is
 * first written to IndexedDB with its own Idempotency-Key, then sent in order. Without a connection
 * it waits and is sent when the tablet is back online (or every 15 s); a retry after a lost answer
 * gets the server's first answer, so nothing is recorded twice. A step the server refuses stays in
 * the outbox as refused, with the server's reason, until the officer clears it.
 */
export type TransitionBody = Body<'POST /api/v1/cases/{id}/transitions'>;
export type Op =
  | { kind: 'transition'; body: TransitionBody }
  | { kind: 'evidence'; blob: Blob; filename: string; description?: string; meta?: EvidenceMeta }
  | { kind: 'sensor-review'; alertId: string }
  | { kind: 'file-review'; evidenceId: string; note?: string }
  | { kind: 'presence'; location: { lat: number; lon: number; accuracyM?: number } };

/** What makes an upload count as evidence: its type, capture time and place, the collecting officers. */
export interface EvidenceMeta {
  type: 'photo' | 'video' | 'audio' | 'document' | 'measurement';
  capturedAt: string;
  lat?: number;
  lon?: number;
  collectors: string;
  /** Why it was captured away from the case's zone (beyond EVIDENCE_ZONE_TOLERANCE_M). */
  placeReason?: string;
}

export interface OutboxItem {
  id?: number;
  key: string;
  userId: string;
  caseId: string;
  caseNumber?: number;
  op: Op;
  createdAt: string;
  status: 'pending' | 'refused';
  error?: string;
  code?: string;
}

export type Outcome =
  | { status: 'done'; response: Res<'POST /api/v1/cases/{id}/transitions'> | Res<'POST /api/v1/cases/{id}/evidence'> | unknown }
  | { status: 'queued' }
  | { status: 'refused'; error: string; code: string };

const DB = 'rp-outbox';
const STORE = 'items';
let dbp: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  dbp ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
  return dbp;
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req.result);
    t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
  });
}

export const items = async (): Promise<OutboxItem[]> => ((await tx('readonly', (s) => s.getAll())) as OutboxItem[]).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
const put = (item: OutboxItem) => tx('readwrite', (s) => s.put(item));
const remove = (id: number) => tx('readwrite', (s) => s.delete(id));

const listeners = new Set<() => void>();
export const onOutboxChange = (fn: () => void): void => void listeners.add(fn);
const changed = () => listeners.forEach((fn) => fn());

async function send(item: OutboxItem): Promise<unknown> {
  const idempotencyKey = item.key;
  switch (item.op.kind) {
    case 'transition':
      return call('POST /api/v1/cases/{id}/transitions', { params: { id: item.caseId }, body: item.op.body, idempotencyKey });
    case 'evidence':
      return call('POST /api/v1/cases/{id}/evidence', {
        params: { id: item.caseId }, query: { filename: item.op.filename, description: item.op.description, ...item.op.meta }, body: item.op.blob, idempotencyKey,
      });
    case 'file-review':
      return call('POST /api/v1/cases/{id}/evidence/{evidenceId}/review', { params: { id: item.caseId, evidenceId: item.op.evidenceId }, body: item.op.note ? { note: item.op.note } : {}, idempotencyKey });
    case 'presence':
      return call('POST /api/v1/cases/{id}/presence', { params: { id: item.caseId }, body: { location: item.op.location }, idempotencyKey });
    case 'sensor-review':
      return call('POST /api/v1/cases/{id}/evidence/sensor/{alertId}/review', { params: { id: item.caseId, alertId: item.op.alertId }, body: {}, idempotencyKey });
    default: {
      const never: never = item.op;
      throw new Error(`unknown outbox op ${String(never)}`);
    }
  }
}

const results = new Map<number, Outcome>();
let flushing: Promise<void> | null = null;

/** Sends the pending items in order; stops at the first one that gets no answer (offline, 5xx). */
export function flush(): Promise<void> {
  flushing ??= (async () => {
    if (!navigator.onLine) return;
    const me = currentUser()?.id;
    for (const item of await items()) {
      // Only the signed-in officer's own actions go out under their token (a shared tablet keeps the others').
      if (item.status !== 'pending' || item.id === undefined || item.userId !== me) continue;
      try {
        const response = await send(item);
        await remove(item.id);
        results.set(item.id, { status: 'done', response });
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.code !== 'IDEMPOTENCY_IN_PROGRESS') {
          await put({ ...item, status: 'refused', error: err.message, code: err.code });
          results.set(item.id, { status: 'refused', error: err.message, code: err.code });
          continue;
        }
        if (!(err instanceof OfflineError || err instanceof ApiError)) throw err;
        break;
      } finally {
        changed();
      }
    }
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

/** Records an action and tries to send it (with everything queued before it). */
export async function perform(userId: string, caseId: string, op: Op, caseNumber?: number): Promise<Outcome> {
  const item: OutboxItem = { key: crypto.randomUUID(), userId, caseId, caseNumber, op, createdAt: new Date().toISOString(), status: 'pending' };
  const id = (await tx('readwrite', (s) => s.add(item))) as number;
  changed();
  await flush().catch(() => undefined);
  // A flush already under way may have read the outbox before this item: one more pass takes it.
  if (!results.has(id) && navigator.onLine) await flush().catch(() => undefined);
  const r = results.get(id);
  results.delete(id);
  return r ?? { status: 'queued' };
}

export async function discard(id: number): Promise<void> {
  await remove(id);
  changed();
}

/** Sends when the connection comes back, and retries every 15 s while something waits. */
export function startOutbox(): void {
  window.addEventListener('online', () => void flush().catch(() => undefined));
  setInterval(() => {
    void items().then((list) => (list.some((i) => i.status === 'pending') ? flush() : undefined)).catch(() => undefined);
  }, 15_000);
  void flush().catch(() => undefined);
}

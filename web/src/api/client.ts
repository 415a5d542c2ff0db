import type { Endpoints } from './generated';

/**
 * The typed client: `call('GET /api/v1/cases/{id}', { params: { id } })`, every path, body and answer
 * typed from the generated Endpoints (the server's OpenAPI document). It holds the session: the
 * access token is renewed a minute before it expires, on any 401 and when the app is reopened.
 */
export type Key = keyof Endpoints;
export type Res<K extends Key> = Endpoints[K]['response'];
export type Body<K extends Key> = Endpoints[K]['body'];
type Opts<K extends Key> = (Endpoints[K]['params'] extends never ? { params?: undefined } : { params: Endpoints[K]['params'] }) &
  (Endpoints[K]['query'] extends never ? { query?: undefined } : { query?: Endpoints[K]['query'] }) &
  (Endpoints[K]['body'] extends never ? { body?: undefined } : { body: Endpoints[K]['body'] }) & { idempotencyKey?: string; contentType?: string };

export type User = Res<'POST /api/v1/auth/login'>['user'];
type Tokens = Res<'POST /api/v1/auth/login'>;

/** A refusal by the server (4xx/5xx) with its stable code. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}
/** No answer at all: offline, or the server is unreachable. */
export class OfflineError extends Error {}

const STORE = 'rp.session';
interface Session { token: string; refresh: string; user: User; expiresAt: number }
let session: Session | null = (() => {
  try { return JSON.parse(localStorage.getItem(STORE) ?? 'null') as Session | null; } catch { return null; }
})();
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let renewing: Promise<void> | null = null;
const listeners = new Set<() => void>();

export const currentUser = (): User | null => session?.user ?? null;
export const accessToken = (): string | null => session?.token ?? null;
export const onSessionChange = (fn: () => void): void => void listeners.add(fn);

function keep(t: Tokens): void {
  session = { token: t.accessToken, refresh: t.refreshToken, user: t.user, expiresAt: Date.now() + t.expiresIn * 1000 };
  localStorage.setItem(STORE, JSON.stringify(session));
  clearTimeout(renewTimer);
  renewTimer = setTimeout(() => void renew().catch(() => {}), Math.max(t.expiresIn - 60, 10) * 1000);
  for (const fn of listeners) fn();
}

function drop(): void {
  session = null;
  localStorage.removeItem(STORE);
  clearTimeout(renewTimer);
  for (const fn of listeners) fn();
}

const REQUEST_TIMEOUT_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 180_000;

async function raw(method: string, url: string, init: { body?: BodyInit; contentType?: string; token?: string | null; idempotencyKey?: string }): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.contentType) headers['content-type'] = init.contentType;
  if (init.idempotencyKey) headers['idempotency-key'] = init.idempotencyKey;
  try {
    // A request with no answer in time is treated like no connection: a half-open socket on a moving
    // tablet would otherwise hold the outbox forever. The outbox retries with the same Idempotency-Key,
    // so a request that did reach the server is answered from its first result, not run twice.
    const limit = init.body instanceof Blob ? UPLOAD_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
    return await fetch(url, { method, headers, body: init.body, signal: AbortSignal.timeout(limit) });
  } catch (err) {
    throw new OfflineError(err instanceof Error ? err.message : 'network error');
  }
}

async function answer(res: Response): Promise<unknown> {
  const text = await res.text();
  const body: unknown = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) {
    const e = (body ?? {}) as { code?: string; message?: string };
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText);
  }
  return body;
}

export async function login(username: string, password: string): Promise<User> {
  const res = await raw('POST', '/api/v1/auth/login', { body: JSON.stringify({ username, password }), contentType: 'application/json' });
  keep((await answer(res)) as Tokens);
  return session!.user;
}

/** Trades the refresh token for new tokens (one at a time); a refused one ends the session. */
export function renew(): Promise<void> {
  renewing ??= (async () => {
    if (!session) throw new ApiError(401, 'UNAUTHORIZED', 'not signed in');
    const res = await raw('POST', '/api/v1/auth/refresh', { body: JSON.stringify({ refreshToken: session.refresh }), contentType: 'application/json' });
    if (res.status === 401) {
      drop();
      throw new ApiError(401, 'UNAUTHORIZED', 'session ended');
    }
    keep((await answer(res)) as Tokens);
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

/** On start: a stored session gets a fresh access token (offline: keep the stored one and try later). */
export async function resume(): Promise<User | null> {
  if (!session) return null;
  try {
    await renew();
  } catch (err) {
    if (!(err instanceof OfflineError)) return null;
  }
  return session?.user ?? null;
}

export async function logout(): Promise<void> {
  const refresh = session?.refresh;
  drop();
  if (refresh) await raw('POST', '/api/v1/auth/logout', { body: JSON.stringify({ refreshToken: refresh }), contentType: 'application/json' }).catch(() => undefined);
}

export function urlOf(key: Key, params?: Record<string, string>, query?: Record<string, unknown>): string {
  let path = key.slice(key.indexOf(' ') + 1);
  for (const [k, v] of Object.entries(params ?? {})) path = path.replace(`{${k}}`, encodeURIComponent(v));
  const q = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return q.length ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}` : path;
}

/** One API call, typed by its key; a 401 renews the token once and retries. */
export async function call<K extends Key>(key: K, ...[opts]: Opts<K> extends { params?: undefined; query?: undefined; body?: undefined } ? [Opts<K>?] : [Opts<K>]): Promise<Res<K>> {
  const o = (opts ?? {}) as { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; idempotencyKey?: string; contentType?: string };
  const method = key.slice(0, key.indexOf(' '));
  const url = urlOf(key, o.params, o.query);
  const isBlob = o.body instanceof Blob;
  const body = o.body === undefined ? undefined : isBlob ? (o.body as Blob) : JSON.stringify(o.body);
  const contentType = o.body === undefined ? undefined : (o.contentType ?? (isBlob ? (o.body as Blob).type : 'application/json'));
  const send = () => raw(method, url, { body, contentType, token: session?.token, idempotencyKey: o.idempotencyKey });
  let res = await send();
  if (res.status === 401 && session) {
    await renew();
    res = await send();
  }
  return (await answer(res)) as Res<K>;
}

/** An authorised download (evidence photos) as an object URL. */
const blobs = new Map<string, Promise<string>>();

/**
 * A file behind the API as an object URL, fetched once per page: every download of evidence is a
 * viewing on the case record, so a re-render must not fetch it again.
 */
export function blobUrl(url: string): Promise<string> {
  let p = blobs.get(url);
  if (!p) {
    p = fetchBlobUrl(url);
    blobs.set(url, p);
    p.catch(() => blobs.delete(url));
  }
  return p;
}

async function fetchBlobUrl(url: string): Promise<string> {
  let res = await raw('GET', url, { token: session?.token });
  if (res.status === 401 && session) {
    await renew();
    res = await raw('GET', url, { token: session?.token });
  }
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText);
  return URL.createObjectURL(await res.blob());
}


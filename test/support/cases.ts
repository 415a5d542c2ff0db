import { randomBytes } from 'node:crypto';
import type { AlertKind } from '../../contract/mqtt/alert.js';
import { takeSseMessages, type SseMessage } from '../../contract/http/sse.js';
import { api, login, type TestPlatform } from './platform.js';
import { residentIdCheck } from '../../enforcement-api/legal/party-ids.js';

/**
 * Cases opened on each database (files share modules, so the count is the database's, not the
 * module's; a platform restarted on the same database goes on counting).
 */
const openedOn = new Map<string, number>();
const databaseOf = (t: TestPlatform) => `${t.platform.config.database.url ?? ''}|${t.platform.config.database.dataDir}`;

/**
 * Opens a fresh case through the real intake (alert → incident → case, routed like any alert). Each
 * call is an hour after the previous one on the same database (the first at 1 January 2025 01:00 UTC),
 * so it never merges into an earlier incident.
 */
export async function openCase(t: TestPlatform, kind: AlertKind = 'noise', zoneId = 'z-park-square'): Promise<string> {
  const opened = (openedOn.get(databaseOf(t)) ?? 0) + 1;
  openedOn.set(databaseOf(t), opened);
  const at = new Date(Date.UTC(2025, 0, 1) + opened * 3_600_000).toISOString();
  const r = await t.platform.cases.intake(
    { id: randomBytes(16).toString('hex'), kind, zoneId, startedAt: at, detectedAt: at, summary: `test case ${opened}`, evidence: { laeq: 70 } },
    30,
  );
  if (r.outcome !== 'opened') throw new Error(`expected a new case, got ${r.outcome}`);
  return r.case.id;
}

export type { SseMessage };

export interface LiveStream {
  /** Resolves with the first message (not yet taken) that matches. */
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Reads until `check(received)` holds (it may already), or fails after `timeoutMs`. */
  until(check: (received: SseMessage[]) => boolean, timeoutMs?: number): Promise<SseMessage[]>;
  /** Every message received so far, in order. */
  received: SseMessage[];
  close(): void;
}

export interface StreamOptions {
  /** Resume after this event id: as the Last-Event-ID header (as EventSource reconnects) or `?lastEventId=`. */
  lastEventId?: string | number;
  via?: 'header' | 'query';
}

export async function openStream(t: TestPlatform, token: string, options: StreamOptions = {}): Promise<LiveStream> {
  const abort = new AbortController();
  const resume = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  const query = resume !== undefined && options.via === 'query' ? `&lastEventId=${encodeURIComponent(resume)}` : '';
  const headers: Record<string, string> = resume !== undefined && options.via !== 'query' ? { 'last-event-id': resume } : {};
  const res = await fetch(`${t.http}/api/v1/stream?access_token=${encodeURIComponent(token)}${query}`, { signal: abort.signal, headers });
  if (res.status !== 200 || !res.body) throw new Error(`stream: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseMessage[] = [];
  const received: SseMessage[] = [];
  const parse = () => {
    const { messages, rest } = takeSseMessages(buffer);
    buffer = rest;
    queue.push(...messages);
    received.push(...messages);
  };
  const stream: LiveStream = {
    received,
    async until(check, timeoutMs = 10_000) {
      if (check(received)) return received;
      await stream.next(() => check(received), timeoutMs);
      return received;
    },
    async next(match, timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no matching live message')), timeoutMs);
      });
      try {
        for (;;) {
          const i = queue.findIndex(match);
          if (i >= 0) return queue.splice(i, 1)[0]!;
          queue.length = 0;
          const chunk = await Promise.race([reader.read(), timeout]);
          if (chunk.done) throw new Error('stream ended');
          buffer += decoder.decode(chunk.value, { stream: true });
          parse();
        }
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      abort.abort();
    },
  };
  return stream;
}

/** The smallest JPEG-looking file: the signature and some bytes, distinct per call. */
export function jpeg(label = randomBytes(8).toString('hex')): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`photo ${label}`), Buffer.from([0xff, 0xd9])]);
}

/** A sound-level measurement export (CSV of LAeq readings), distinct per call. */
export function measurementCsv(label = randomBytes(8).toString('hex')): Buffer {
  return Buffer.from(`at,laeq_db,meter\n21:10:00,68.4,${label}\n21:11:00,69.1,${label}\n`);
}

/** The kind of evidence a content type is by default (photo, measurement, document). */
const KIND_OF: Record<string, string> = { 'image/jpeg': 'photo', 'image/png': 'photo', 'text/csv': 'measurement', 'application/json': 'measurement', 'application/pdf': 'document' };

/** Evidence metadata as query parameters: type, capture time and place, collectors (`collectors` = user ids). */
export function evidenceMeta(contentType: string, collectors = 'u-east-li', at: { lat: number; lon: number } = { lat: 32.0405, lon: 118.7805 }): string {
  const kind = KIND_OF[contentType.split(';')[0]!.trim()] ?? 'document';
  const capturedAt = new Date().toISOString();
  return `type=${kind}&capturedAt=${encodeURIComponent(capturedAt)}&lat=${at.lat}&lon=${at.lon}&collectors=${collectors}`;
}

/** A place inside each seeded zone (evidence is captured where the act happened). */
export const PLACE_IN: Record<string, { lat: number; lon: number }> = {
  'z-park-square': { lat: 32.0405, lon: 118.7805 },
  'z-riverbank': { lat: 32.062, lon: 118.752 },
  'z-river-steps': { lat: 32.0645, lon: 118.7555 },
};

/** The seeded user id of a username (east.li → u-east-li). */
export const userIdOf = (username: string) => `u-${username.replaceAll('.', '-')}`;

/**
 * Uploads a file as evidence of a case (raw body); returns status and body. With `query` undefined the
 * upload carries complete metadata (so it can count once reviewed); `''` sends none; any other query is
 * sent as given.
 */
export async function uploadEvidence(
  t: TestPlatform,
  token: string,
  caseId: string,
  bytes: Buffer = jpeg(),
  contentType = 'image/jpeg',
  query?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const q = query ?? `?${evidenceMeta(contentType)}`;
  const res = await fetch(`${t.http}/api/v1/cases/${caseId}/evidence${q}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: bytes,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

/** A valid resident identity number (GB 11643 check digit). */
export const PARTY_ID = '320102198805050013';

/** The `n`th of many valid resident identity numbers of adults (born 1990): another person each, whose fines never add up. */
export function partyIdOf(n: number): string {
  const first17 = `32010219900101${String(n % 1000).padStart(3, '0')}`;
  return first17 + residentIdCheck(first17);
}

/** A routine noise decision proposal (fine within the normal tier of art. 82); `over` replaces fields. */
export const noiseProposal = (over: Record<string, unknown> = {}) => ({
  event: 'propose_decision',
  party: 'Zhang San',
  partyId: PARTY_ID,
  facts: 'loudspeaker at 68 dB(A) LAeq after an order to correct, refused',
  legalBasis: 'Noise Pollution Prevention and Control Law art. 82',
  penalties: ['warning', 'fine'],
  fineYuan: 500,
  tier: 'normal',
  ...over,
});

export const SITE = { lat: 32.0405, lon: 118.7805 };

/** The second officer named on arrival confirms presence from their own session. */
export async function confirmPresence(t: TestPlatform, token: string, caseId: string, location = SITE): Promise<{ status: number; body: Record<string, unknown> }> {
  return api<Record<string, unknown>>(t, token, 'POST', `/api/v1/cases/${caseId}/presence`, { location });
}

/**
 * What a case on site needs before a decision is proposed: the second officer's confirmation, filing
 * (立案), one photo and one sound-level measurement (a noise penalty rests on one) with their metadata,
 * each reviewed by the second officer. `as` maps usernames to tokens.
 */
export async function readyToPropose(t: TestPlatform, as: (user: string) => string, caseId: string, officer = 'east.li', second = 'east.lead'): Promise<void> {
  const check = async (what: string, p: Promise<{ status: number; body: unknown }>, ok: number[]) => {
    const r = await p;
    if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  await check('presence', confirmPresence(t, as(second), caseId), [200, 201]);
  await check('file', api(t, as(officer), 'POST', `/api/v1/cases/${caseId}/transitions`, { event: 'file' }), [200]);
  // Collected by the officer, where the case's zone is.
  const zoneId = (await api<{ zoneId: string }>(t, as(officer), 'GET', `/api/v1/cases/${caseId}`)).body.zoneId;
  for (const [bytes, type, note] of [[jpeg(), 'image/jpeg', 'shows the loudspeaker'], [measurementCsv(), 'text/csv', 'meter readings at the façade']] as const) {
    const item = await check('evidence', uploadEvidence(t, as(officer), caseId, bytes, type, `?${evidenceMeta(type, userIdOf(officer), PLACE_IN[zoneId])}`), [200, 201]);
    const evidenceId = (item.body as { id: string }).id;
    await check('review', api(t, as(second), 'POST', `/api/v1/cases/${caseId}/evidence/${evidenceId}/review`, { note }), [200, 201]);
  }
}

/** A noise case in the park accepted by east.li, on site with east.lead named second (not yet confirmed); `ok` takes a transition or fails. */
export async function noiseOnSite(t: TestPlatform, ok: (user: string, caseId: string, body: Record<string, unknown>) => Promise<unknown>): Promise<string> {
  const id = await openCase(t);
  await ok('east.li', id, { event: 'accept' });
  await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
  return id;
}

/** A transition taken by a user; fails the test unless it succeeds. */
export type Step = (user: string, caseId: string, body: Record<string, unknown>) => Promise<unknown>;

/**
 * Takes an East Lake noise case from dispatch to a decided fine: accepted and reached by two officers
 * (east.lead confirms from their own session), filed, a reviewed photo and measurement as evidence, a fine proposed in
 * `tier` for the party PARTY_ID, approved by the street's review post, decided.
 */
export async function decideNoiseCase(t: TestPlatform, step: Step, officerToken: string, caseId: string, fine: { tier: string; fineYuan: number; decisionNo: string }): Promise<void> {
  await step('east.li', caseId, { event: 'accept' });
  await step('east.li', caseId, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
  const second = await login(t, 'east.lead');
  const tokens: Record<string, string> = { 'east.li': officerToken, 'east.lead': second };
  await readyToPropose(t, (user) => tokens[user]!, caseId);
  await step('east.li', caseId, {
    event: 'propose_decision', party: 'Zhang San', partyId: PARTY_ID, facts: 'refused to turn the loudspeaker down', legalBasis: 'Noise Law art. 82',
    penalties: ['warning', 'fine'], fineYuan: fine.fineYuan, tier: fine.tier,
  });
  await step('east.li', caseId, { event: 'submit_for_review' });
  await step('east.review', caseId, { event: 'approve' });
  await partyWaived(step, 'east.li', caseId);
  await step('east.li', caseId, { event: 'decide', decisionNo: fine.decisionNo });
}

/**
 * Before a penalty is decided the party is heard (Administrative Penalty Law arts. 44, 45): `user`
 * serves the notice of the approved proposal in person, and the party waives statement, defence and
 * hearing in writing, so the decision need not wait for the statement period.
 */
export async function partyWaived(step: Step, user: string, caseId: string): Promise<void> {
  await step(user, caseId, { event: 'notify_party', method: 'in_person' });
  await step(user, caseId, { event: 'waive_statement', document: 'the party signed the waiver on the notice; filed with the case' });
}

/** What a transition answers, as far as the legal tests read it. */
export interface TransitionReply {
  code?: string;
  message?: string;
  to?: string;
  event?: { type: string; data: Record<string, unknown> };
}

/**
 * Transitions taken by users on the platform `t()` gives (started later, in `beforeAll`; `as` maps
 * usernames to tokens): `fire` answers the status and body, `ok` throws unless the transition succeeds.
 */
export function transitionsAs(t: () => TestPlatform, as: (user: string) => string) {
  const fire = (user: string, caseId: string, body: Record<string, unknown>) => api<TransitionReply>(t(), as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  const ok = async (user: string, caseId: string, body: Record<string, unknown>): Promise<TransitionReply> => {
    const r = await fire(user, caseId, body);
    if (r.status !== 200) throw new Error(`${user} ${String(body.event)}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { fire, ok };
}

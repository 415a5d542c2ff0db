import { randomBytes } from 'node:crypto';
import type { AlertKind } from '../../contract/mqtt/alert.js';
import type { TestPlatform } from './platform.js';

let opened = 0;

/**
 * Opens a fresh case through the real intake (alert → incident → case, routed like any alert). Each
 * call is an hour after the previous one, so it never merges into an earlier incident.
 */
export async function openCase(t: TestPlatform, kind: AlertKind = 'noise', zoneId = 'z-park-square'): Promise<string> {
  opened++;
  const at = new Date(Date.UTC(2025, 0, 1) + opened * 3_600_000).toISOString();
  const r = await t.platform.cases.intake(
    { id: randomBytes(16).toString('hex'), kind, zoneId, startedAt: at, detectedAt: at, summary: `test case ${opened}`, evidence: { laeq: 70 } },
    30,
  );
  if (r.outcome !== 'opened') throw new Error(`expected a new case, got ${r.outcome}`);
  return r.case.id;
}

export interface SseMessage {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

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
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (!data) continue;
      const message = { id: field('id') ?? '', event: field('event') ?? 'message', data: JSON.parse(data) as Record<string, unknown> };
      queue.push(message);
      received.push(message);
    }
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

/** Uploads a file as evidence of a case (raw body); returns status and body. */
export async function uploadEvidence(
  t: TestPlatform,
  token: string,
  caseId: string,
  bytes: Buffer = jpeg(),
  contentType = 'image/jpeg',
  query = '',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.http}/api/v1/cases/${caseId}/evidence${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: bytes,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

/** A routine noise decision proposal (fine within the normal tier of art. 82); `over` replaces fields. */
export const noiseProposal = (over: Record<string, unknown> = {}) => ({
  event: 'propose_decision',
  party: 'Zhang San',
  facts: 'loudspeaker at 68 dB(A) LAeq after an order to correct, refused',
  legalBasis: 'Noise Pollution Prevention and Control Law art. 82',
  penalties: ['warning', 'fine'],
  fineYuan: 500,
  tier: 'normal',
  ...over,
});

/** A transition taken by a user; fails the test unless it succeeds. */
export type Step = (user: string, caseId: string, body: Record<string, unknown>) => Promise<void>;

/**
 * Takes an East Lake noise case from dispatch to a decided fine: accepted and reached by two officers,
 * a photo as evidence, a fine proposed in `tier`, approved by the street's review post, decided.
 */
export async function decideNoiseCase(t: TestPlatform, step: Step, officerToken: string, caseId: string, fine: { tier: string; fineYuan: number; decisionNo: string }): Promise<void> {
  await step('east.li', caseId, { event: 'accept' });
  await step('east.li', caseId, { event: 'arrive', location: { lat: 32.0405, lon: 118.7805 }, secondOfficerId: 'u-east-lead' });
  const upload = await uploadEvidence(t, officerToken, caseId);
  if (upload.status !== 201) throw new Error(`evidence upload: ${upload.status} ${JSON.stringify(upload.body)}`);
  await step('east.li', caseId, {
    event: 'propose_decision', party: 'Zhang San', facts: 'refused to turn the loudspeaker down', legalBasis: 'Noise Law art. 82',
    penalties: ['warning', 'fine'], fineYuan: fine.fineYuan, tier: fine.tier,
  });
  await step('east.li', caseId, { event: 'submit_for_review' });
  await step('east.review', caseId, { event: 'approve' });
  await step('east.li', caseId, { event: 'decide', decisionNo: fine.decisionNo });
}

import { accessToken, renew } from './api/client';
import type { Res } from './api/client';

/**
 * The live stream (GET /api/v1/stream, server-sent events). EventSource reconnects by itself and
 * resumes with Last-Event-ID; when a reconnect is refused (the access token expired) the stream is
 * closed, so the token is renewed and a new EventSource resumes with `?lastEventId=` from the last id
 * seen. `reset` (events no longer kept) asks the screens to reload.
 */
export type CaseRow = Res<'GET /api/v1/cases'>[number];
export type LiveMessage =
  | { type: 'case.opened'; case: CaseRow }
  | { type: 'case.updated'; caseId: string; reason: string; state?: string }
  | { type: 'reset' };
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export class Live {
  private source: EventSource | null = null;
  private lastEventId = '';
  private retry: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private stopped = true;

  constructor(
    private readonly onMessage: (m: LiveMessage) => void,
    private readonly onState: (s: LiveState) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
    window.addEventListener('online', this.wake);
    window.addEventListener('offline', this.lost);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.lastEventId = '';
    window.removeEventListener('online', this.wake);
    window.removeEventListener('offline', this.lost);
    this.onState('offline');
  }

  /** The device says the network is gone: an open stream is a dead socket now; resume when back. */
  private readonly lost = () => {
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.onState('offline');
  };

  private readonly wake = () => {
    if (!this.stopped && this.source?.readyState !== EventSource.OPEN) {
      this.attempts = 0;
      // A token that expired while offline is renewed first (a refused stream would only retry later).
      void renew().catch(() => undefined).finally(() => this.connect());
    }
  };

  private seen = (e: MessageEvent) => {
    if (e.lastEventId) this.lastEventId = e.lastEventId;
  };

  private connect(): void {
    this.source?.close();
    clearTimeout(this.retry);
    const token = accessToken();
    if (!token || this.stopped) return;
    this.onState(this.attempts ? 'reconnecting' : 'connecting');
    const resume = this.lastEventId ? `&lastEventId=${encodeURIComponent(this.lastEventId)}` : '';
    const source = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(token)}${resume}`);
    this.source = source;
    source.onopen = () => {
      this.attempts = 0;
      this.onState('live');
    };
    source.onerror = () => {
      if (this.stopped || this.source !== source) return;
      this.onState(navigator.onLine ? 'reconnecting' : 'offline');
      if (source.readyState !== EventSource.CLOSED) return; // EventSource retries by itself
      // Refused (expired token) or gone: renew, then a new stream from the last id, backing off.
      this.attempts++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.attempts, 5));
      this.retry = setTimeout(() => {
        renew().catch(() => undefined).finally(() => this.connect());
      }, delay);
    };
    source.addEventListener('ready', (e) => this.seen(e));
    source.addEventListener('reset', (e) => {
      this.seen(e);
      this.onMessage({ type: 'reset' });
    });
    source.addEventListener('case.opened', (e) => {
      this.seen(e);
      const d = JSON.parse(e.data) as { case: CaseRow };
      this.onMessage({ type: 'case.opened', case: d.case });
    });
    source.addEventListener('case.updated', (e) => {
      this.seen(e);
      const d = JSON.parse(e.data) as { caseId: string; reason: string; state?: string };
      this.onMessage({ type: 'case.updated', caseId: d.caseId, reason: d.reason, state: d.state });
    });
  }
}

/** A short two-tone beep and a vibration: new work. */
export function alertNewWork(): void {
  try {
    const ctx = new AudioContext();
    for (const [i, f] of [880, 1320].entries()) {
      const o = ctx.createOscillator();
      const g = ctx.createGain();
      o.frequency.value = f;
      g.gain.value = 0.2;
      o.connect(g).connect(ctx.destination);
      o.start(ctx.currentTime + i * 0.18);
      o.stop(ctx.currentTime + i * 0.18 + 0.15);
    }
  } catch {
    // no audio output: the vibration and the highlighted card remain
  }
  if ('vibrate' in navigator) navigator.vibrate([200, 100, 200]);
}

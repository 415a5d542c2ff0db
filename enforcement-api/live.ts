import { EventEmitter } from 'node:events';
import type { CaseRow } from './cases/repository.js';

/** What the live stream pushes. `teamId` scopes delivery: null = fallback queue (admins, operators). */
export type LiveEvent =
  | { type: 'case.opened'; teamId: string | null; case: CaseRow }
  | { type: 'case.updated'; teamId: string | null; caseId: string; reason: string };

/** In-process fan-out from the enforcement service to the API's live streams. */
export class LiveBus {
  private readonly emitter = new EventEmitter();
  private seq = 0;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: LiveEvent): void {
    this.seq++;
    this.emitter.emit('event', this.seq, event);
  }

  subscribe(listener: (id: number, event: LiveEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

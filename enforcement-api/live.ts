import { EventEmitter } from 'node:events';
import type { CaseRow } from './cases/repository.js';

/** What the live stream pushes. `teamId` scopes delivery: null = fallback queue (admins, operators). */
export type LiveEvent =
  | { type: 'case.opened'; teamId: string | null; case: CaseRow }
  | {
      type: 'case.updated';
      teamId: string | null;
      caseId: string;
      /** What happened: the case event type (e.g. `alert.attached`, `accepted`). */
      reason: string;
      /** The state after a lifecycle transition. */
      state?: string;
      /** The case is in the legal reviewers' queue (delivered to reviewers too). */
      review?: boolean;
      /** The legal review post the case is with (only its reviewers get it). */
      reviewPostId?: string | null;
      /** The team that had the case before a dispatch (delivered to it too: the case left its inbox). */
      previousTeamId?: string | null;
    };

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

import { Qlobber } from 'qlobber';

/**
 * The broker's message emitter (Aedes' `mq`): routes each publish to the subscriptions whose filter
 * matches its topic, and counts the publishes in flight until every subscriber has taken them.
 *
 * It does what Aedes' default (mqemitter) does, with the same matcher (qlobber, MQTT wildcards,
 * `+` matching empty levels), plus a cache of matches per topic. Fan-in traffic is a few thousand
 * device topics published over and over against a handful of service subscriptions, and matching
 * each publish again (splitting the topic, walking the trie) was 7% of the broker's CPU in
 * `npm run bench:broker`. The cache is emptied whenever a subscription is added or removed, so a
 * match is never older than the subscriptions; it holds at most MAX_CACHED_TOPICS topics.
 *
 * Unlike mqemitter it has no queue for publishes beyond a concurrency limit: the broker bounds them
 * upstream by not reading publishers (ReadGate, broker/tuning.ts).
 */
export type Handler = (message: Message, done: (err?: Error | null) => void) => void;

export interface Message {
  topic: string;
}

/** Distinct topics whose matches are remembered; past it the cache starts again. */
export const MAX_CACHED_TOPICS = 50_000;

export class TopicEmitter {
  private readonly matcher = new Qlobber<Handler>({ separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true });
  private cache = new Map<string, Handler[]>();
  private readonly completions: Completion[] = [];
  /** Publishes handed to subscribers and not yet taken by all of them. */
  current = 0;
  closed = false;

  /** Matching publishes delivered so far without matching the topic again (for tests and figures). */
  cacheHits = 0;
  private below?: { limit: number; fn: () => void };

  on(filter: string, handler: Handler, done?: () => void): this {
    this.matcher.add(filter, handler);
    this.cache.clear();
    if (done) setImmediate(done);
    return this;
  }

  /** Removal takes effect on the next turn, as in mqemitter: a delivery under way still completes. */
  removeListener(filter: string, handler: Handler, done?: () => void): this {
    setImmediate(() => {
      this.matcher.remove(filter, handler);
      this.cache.clear();
      done?.();
    });
    return this;
  }

  removeAllListeners(filter: string, done?: () => void): this {
    this.matcher.remove(filter);
    this.cache.clear();
    if (done) setImmediate(done);
    return this;
  }

  emit(message: Message, cb: (err?: Error) => void = noop): this {
    if (this.closed) {
      cb(new Error('emitter is closed'));
      return this;
    }
    const handlers = this.handlersFor(message.topic);
    this.current++;
    if (handlers.length === 0) {
      this.finish(cb);
      return this;
    }
    const completion = this.completions.pop() ?? new Completion(this);
    completion.start(cb, handlers.length);
    for (const handler of handlers) handler.call(this, message, completion.done);
    return this;
  }

  /** Calls `fn` once, on a later turn, when fewer than `limit` publishes are in flight (one waiter). */
  whenBelow(limit: number, fn: () => void): void {
    this.below = { limit, fn };
    this.checkBelow();
  }

  close(cb: () => void): this {
    this.closed = true;
    setImmediate(cb);
    return this;
  }

  private handlersFor(topic: string): Handler[] {
    const cached = this.cache.get(topic);
    if (cached) {
      this.cacheHits++;
      return cached;
    }
    const handlers = this.matcher.match(topic);
    if (this.cache.size >= MAX_CACHED_TOPICS) this.cache.clear();
    this.cache.set(topic, handlers);
    return handlers;
  }

  /** @internal Called by a Completion once every subscriber took the publish. */
  finish(cb: (err?: Error) => void, completion?: Completion): void {
    if (completion && this.completions.length < MAX_POOLED) this.completions.push(completion);
    cb();
    this.current--;
    if (this.below) this.checkBelow();
  }

  private checkBelow(): void {
    const below = this.below;
    if (!below || this.current >= below.limit) return;
    this.below = undefined;
    setImmediate(below.fn);
  }
}

/** Completions kept for reuse. */
const MAX_POOLED = 1024;

/**
 * Counts a publish's subscribers down to done. One object per publish in flight, reused: a closure per
 * publish cost more than the matching it replaced (it is also renamed by the TypeScript loader).
 * Errors from subscribers are theirs to report; as with mqemitter, the publish completes anyway.
 */
class Completion {
  private pending = 0;
  private cb: (err?: Error) => void = noop;
  readonly done: () => void;

  constructor(private readonly emitter: TopicEmitter) {
    this.done = this.release.bind(this);
  }

  start(cb: (err?: Error) => void, pending: number): void {
    this.cb = cb;
    this.pending = pending;
  }

  private release(): void {
    if (--this.pending !== 0) return;
    const cb = this.cb;
    this.cb = noop;
    this.emitter.finish(cb, this);
  }
}

function noop(): void {}

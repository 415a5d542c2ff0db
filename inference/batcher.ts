import type { ModelRegistry, ModelSlot } from './model-registry.js';

/**
 * Dynamic batching across devices: rows queue up until `maxBatch` or `maxWait` ms, then one session
 * run scores them all (and the shadow version, if any, scores the same tensor). Each caller gets its
 * row back; results resolve in submission order, so per-device order is kept.
 */
export interface Scored {
  active: Float32Array;
  activeVersion: string;
  shadow: Float32Array | null;
  shadowVersion: string | null;
}

/** What a pipeline needs: one feature row in, the model's scores out (batched behind the scenes). */
export interface Scorer {
  score(features: Float32Array): Promise<Scored>;
}

interface Pending {
  features: Float32Array;
  resolve(s: Scored): void;
  reject(e: unknown): void;
}

export class Batcher implements Scorer {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  rows = 0;
  batches = 0;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly name: string,
    private readonly maxBatch: number,
    private readonly maxWaitMs: number,
  ) {}

  score(features: Float32Array): Promise<Scored> {
    return new Promise<Scored>((resolve, reject) => {
      this.queue.push({ features, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.schedule(0);
      else this.schedule(this.maxWaitMs);
    });
  }

  private schedule(delay: number): void {
    if (this.timer && delay > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.chain = this.chain.then(() => this.drain());
    }, delay);
  }

  /** Scores everything queued; resolves when the queue is empty. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.run(this.queue.splice(0, this.maxBatch));
  }

  private async run(batch: Pending[]): Promise<void> {
    const slot = this.registry.slot(this.name) as ModelSlot;
    const { active, shadow } = slot;
    const f = slot.featureCount;
    const input = new Float32Array(batch.length * f);
    batch.forEach((p, i) => input.set(p.features, i * f));
    const used = shadow ? [active, shadow] : [active];
    this.registry.acquire(used);
    try {
      const [a, s] = await Promise.all([active.run(input, batch.length), shadow ? shadow.run(input, batch.length) : Promise.resolve(null)]);
      const ka = active.card.labels.length;
      const ks = shadow?.card.labels.length ?? 0;
      batch.forEach((p, i) =>
        p.resolve({
          active: a.subarray(i * ka, (i + 1) * ka),
          activeVersion: `${active.card.name}@${active.card.version}`,
          shadow: s ? s.subarray(i * ks, (i + 1) * ks) : null,
          shadowVersion: shadow ? `${shadow.card.name}@${shadow.card.version}` : null,
        }),
      );
      this.rows += batch.length;
      this.batches++;
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      await this.registry.release(used);
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
    await this.drain();
  }
}

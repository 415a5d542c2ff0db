import type { Logger } from '../core/log.js';
import { OnnxModel } from './onnx-model.js';
import { listModels, newest } from './model-store.js';
import type { Rollout } from '../contract/mqtt/control.js';

/**
 * The loaded versions of one model name: `active` raises alerts, `shadow` (optional) is scored on the
 * same inputs and only recorded. Swapping happens between batches; replaced sessions are released
 * once the batch that used them is done.
 */
export interface ModelSlot {
  name: string;
  featureCount: number;
  active: OnnxModel;
  shadow: OnnxModel | null;
}

const label = (m: OnnxModel) => `${m.card.name}@${m.card.version}`;

export class ModelRegistry {
  private readonly slots = new Map<string, ModelSlot>();
  private readonly inUse = new Map<OnnxModel, number>();
  private readonly retired = new Set<OnnxModel>();

  constructor(
    private readonly dirs: readonly string[],
    private readonly log: Logger,
  ) {}

  /** Loads the newest version of `name` on disk as the active one. */
  async load(name: string, featureCount: number): Promise<ModelSlot> {
    const stored = newest(await listModels(this.dirs), name);
    if (!stored) throw new Error(`no model ${name} in ${this.dirs.join(', ')}`);
    const slot = { name, featureCount, active: await OnnxModel.load(stored.dir, name, featureCount), shadow: null };
    this.slots.set(name, slot);
    return slot;
  }

  slot(name: string): ModelSlot | undefined {
    return this.slots.get(name);
  }

  /** Applies a rollout (from the retained control topic): hot-swaps active, sets or clears shadow. */
  async apply(name: string, rollout: Rollout): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) return; // not a model this worker runs
    const stored = await listModels(this.dirs);
    const find = async (version: string, current: OnnxModel | null) => {
      if (current?.card.version === version) return current;
      const m = stored.find((x) => x.name === name && x.version === version);
      if (!m) throw new Error(`rollout names ${name}@${version}, which is not on disk`);
      return OnnxModel.load(m.dir, name, slot.featureCount);
    };
    const active = await find(rollout.active, slot.active.card.version === rollout.active ? slot.active : slot.shadow);
    const shadow = rollout.shadow === null ? null : await find(rollout.shadow, slot.shadow?.card.version === rollout.shadow ? slot.shadow : slot.active);
    const before = [slot.active, slot.shadow];
    slot.active = active;
    slot.shadow = shadow;
    for (const m of before) if (m && m !== active && m !== shadow) await this.retire(m);
    this.log.info({ model: name, active: label(active), shadow: shadow ? label(shadow) : null }, 'model rollout applied');
  }

  /** Marks sessions as used by a batch; release() frees them and closes retired ones. */
  acquire(models: OnnxModel[]): void {
    for (const m of models) this.inUse.set(m, (this.inUse.get(m) ?? 0) + 1);
  }

  async release(models: OnnxModel[]): Promise<void> {
    for (const m of models) {
      const n = (this.inUse.get(m) ?? 1) - 1;
      if (n > 0) this.inUse.set(m, n);
      else this.inUse.delete(m);
      if (n <= 0 && this.retired.delete(m)) await m.close();
    }
  }

  private async retire(m: OnnxModel): Promise<void> {
    if (this.inUse.has(m)) this.retired.add(m);
    else await m.close();
  }

  async close(): Promise<void> {
    for (const slot of this.slots.values()) {
      await slot.active.close();
      await slot.shadow?.close();
    }
    this.slots.clear();
  }
}

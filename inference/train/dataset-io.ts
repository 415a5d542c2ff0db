/**
 * Labelled data sets for model training and evaluation, and their files in `inference/train/.data/`
 * (gitignored): `<model>-<split>.json` (header), `.f32` (features, float32 little-endian, row-major
 * [samples × featureCount]) and `.labels.u8` (single-label: class index per sample; multi-label:
 * 0/1 per sample and label, row-major). A header records the seed and a hash of every generator and
 * feature source file, so a data set is rebuilt exactly when its recipe changed and reused otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA_DIR = join(ROOT, 'inference', 'train', '.data');
export const MODELS_DIR = join(ROOT, 'inference', 'models');

/**
 * `check`: a fresh-seed set a test scores the committed model on (kept in `.data` like the others, never trained on).
 * `realTrain` / `realHeldOut`: real recordings, each in one of the two (the noise model's field data).
 */
export type Split = 'train' | 'heldOut' | 'validation' | 'check' | 'realTrain' | 'realHeldOut';

export interface DataSet {
  features: Float32Array;
  /** Class index per sample (single-label) or 0/1 per sample × label (multi-label). */
  labels: Uint8Array;
  samples: number;
  /** Optional per-sample tag (e.g. `<source>|<day|night>|<file>`), for per-source figures. */
  tags?: string[];
}

export interface DataSetSpec {
  model: string;
  split: Split;
  seed: number;
  featureCount: number;
  labels: readonly string[];
  multiLabel: boolean;
  /** What the samples are and how they were made (goes into the model card). */
  description: string;
  /** Source files (relative to the repository) whose content defines the data. */
  sources: readonly string[];
  /** Any other parameter of the recipe (sizes, ranges). */
  params: Record<string, unknown>;
  /** Builds the data set from a seed (`seed` above for the recorded split; others for fresh checks). */
  build: (seed: number) => DataSet;
}

export interface DataSetHeader {
  format: 'dataset/v2';
  model: string;
  split: Split;
  seed: number;
  samples: number;
  featureCount: number;
  labels: string[];
  multiLabel: boolean;
  description: string;
  recipeHash: string;
  files: { features: string; labels: string; tags?: string };
}

function recipeHash(spec: DataSetSpec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ model: spec.model, split: spec.split, seed: spec.seed, featureCount: spec.featureCount, labels: spec.labels, params: spec.params }));
  for (const file of [...spec.sources].sort()) h.update(file).update(readFileSync(join(ROOT, file)));
  return h.digest('hex');
}

const base = (spec: DataSetSpec): string => `${spec.model}-${spec.split}`;

function read(spec: DataSetSpec, hash: string): DataSet | null {
  const headerPath = join(DATA_DIR, `${base(spec)}.json`);
  if (!existsSync(headerPath)) return null;
  try {
    const header = JSON.parse(readFileSync(headerPath, 'utf8')) as DataSetHeader;
    if (header.recipeHash !== hash) return null;
    const f = readFileSync(join(DATA_DIR, header.files.features));
    const labels = new Uint8Array(readFileSync(join(DATA_DIR, header.files.labels)));
    const features = new Float32Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    const width = spec.multiLabel ? spec.labels.length : 1;
    if (features.length !== header.samples * spec.featureCount || labels.length !== header.samples * width) return null;
    const tags = header.files.tags ? (JSON.parse(readFileSync(join(DATA_DIR, header.files.tags), 'utf8')) as string[]) : undefined;
    if (tags && tags.length !== header.samples) return null;
    return { features, labels, samples: header.samples, ...(tags ? { tags } : {}) };
  } catch {
    return null;
  }
}

function write(spec: DataSetSpec, set: DataSet, hash: string): void {
  mkdirSync(DATA_DIR, { recursive: true });
  const files = { features: `${base(spec)}.f32`, labels: `${base(spec)}.labels.u8`, ...(set.tags ? { tags: `${base(spec)}.tags.json` } : {}) };
  writeFileSync(join(DATA_DIR, files.features), new Uint8Array(set.features.buffer, set.features.byteOffset, set.features.byteLength));
  writeFileSync(join(DATA_DIR, files.labels), set.labels);
  if (set.tags && files.tags) writeFileSync(join(DATA_DIR, files.tags), JSON.stringify(set.tags) + '\n');
  const header: DataSetHeader = {
    format: 'dataset/v2',
    model: spec.model,
    split: spec.split,
    seed: spec.seed,
    samples: set.samples,
    featureCount: spec.featureCount,
    labels: [...spec.labels],
    multiLabel: spec.multiLabel,
    description: spec.description,
    recipeHash: hash,
    files,
  };
  writeFileSync(join(DATA_DIR, `${base(spec)}.json`), JSON.stringify(header, null, 2) + '\n');
}

/** The data set of `spec`: read from `.data` when its recipe is unchanged, otherwise built (and written). */
export function loadOrBuild(spec: DataSetSpec, opts: { write?: boolean; log?: (msg: string) => void } = {}): DataSet {
  const hash = recipeHash(spec);
  const cached = read(spec, hash);
  if (cached) {
    opts.log?.(`${base(spec)}: ${cached.samples} samples (cached, recipe unchanged)`);
    return cached;
  }
  const started = Date.now();
  const set = spec.build(spec.seed);
  if (opts.write !== false) write(spec, set, hash);
  opts.log?.(`${base(spec)}: ${set.samples} samples built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return set;
}

/** Growable float32 row buffer for building data sets. */
export class Rows {
  private data: Float32Array;
  private readonly labelBuf: number[] = [];
  count = 0;

  constructor(readonly width: number) {
    this.data = new Float32Array(width * 1024);
  }

  /** A row slot to write features into, at `offset` of the returned array. */
  slot(): { out: Float32Array; offset: number } {
    if ((this.count + 1) * this.width > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    return { out: this.data, offset: this.count++ * this.width };
  }

  label(...values: number[]): void {
    this.labelBuf.push(...values);
  }

  finish(): DataSet {
    return { features: this.data.slice(0, this.count * this.width), labels: Uint8Array.from(this.labelBuf), samples: this.count };
  }
}

/**
 * The learning loop: officers' verdicts on alerts become labelled examples for the next version of a
 * model. `npm run models:retrain -- --model fishing` reads a database's alerts of that model's kind
 * that carry their input window (`evidence.window`) and a verdict — confirmed (a verdict, or a case that
 * went on to be accepted, resolved or decided) or dismissed as a false alarm — adds the generators'
 * training data, trains a small MLP in TypeScript (mlp.ts; no torch needed), scores the previous and
 * the new version through onnxruntime on the same held-out data (the generators' held-out set plus a
 * quarter of the officers' examples, chosen by alert id and never trained on), writes the ONNX and its
 * card as a new version under `DATA_DIR/models/<name>-<version>/`, registers it in `model_versions`,
 * and rolls it out in shadow (scored and recorded, never alerting) beside the active version.
 */
import { alertsWithWindows, type JudgedAlertRow } from '../repository.js';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { OnnxModel } from '../onnx-model.js';
import { listModels, newest } from '../model-store.js';
import { InferenceRepository } from '../repository.js';
import { fishingFeatures, FISHING_FEATURE_COUNT } from '../features/fishing.js';
import { isTrackSummary } from '../features/track-summary.js';
import { crowdFeatures, CROWD_FEATURE_COUNT } from '../features/crowding.js';
import { noiseWindowFeatures, NOISE_WINDOW_FEATURE_COUNT, type NoiseFrame } from '../features/noise.js';
import type { ModelCard, Evaluation } from '../../contract/model-card.js';
import type { Rollout } from '../../contract/mqtt/control.js';
import { loadOrBuild, type DataSet } from './dataset-io.js';
import { MODELS } from './models.js';
import { multiLabel, singleLabel } from './metrics.js';
import { toOnnx, trainMlp, type TrainingSet } from './mlp.js';

/** Case states reached only when the officers took the alert as real. */
const CONFIRMING_STATES = ['accepted', 'on_site', 'resolved_on_site', 'decision_proposed', 'under_review', 'approved', 'returned', 'decided'];
const KIND: Record<string, string> = { 'noise-window': 'noise', fishing: 'fishing', crowding: 'crowding' };

export interface RetrainOptions {
  pool: pg.Pool;
  model: string;
  /** Folders holding the current versions (the newest is the one compared against). */
  modelDirs: readonly string[];
  /** Where the new version's folder is written (inference scans it: DATA_DIR/models). */
  outDir: string;
  epochs: number;
  /** Generator samples used for training and for the held-out comparison (each at most). */
  generatorSamples: number;
  /** How much an officer's example weighs against one generated sample. */
  officerWeight: number;
  hidden: number;
  seed: number;
  /**
   * The generators' data to train on and to compare on (default: the model's recipe, `spec.data.train`
   * and `spec.data.heldOut`, built or read from `.data`); a test passes small fresh sets instead.
   */
  generators?: { train: DataSet; heldOut: DataSet; description: string };
  /**
   * Which officers' examples are held out (default: a quarter, by a hash of the alert id). Alert ids hash
   * the device id and the time, so a test whose devices get fresh ids each run names its own.
   */
  holdOut?: (alertId: string) => boolean;
  /** Publishes the rollout (active unchanged, the new version in shadow); absent = only registered. */
  rollout?: (name: string, rollout: Rollout) => Promise<void>;
  log: (msg: string) => void;
}

export const RETRAIN_DEFAULTS = { epochs: 40, generatorSamples: 50_000, officerWeight: 5, hidden: 24, seed: 20_261_202 };

interface Example {
  alertId: string;
  features: Float32Array;
  /** Class index (softmax) or 0/1 per label (sigmoid). */
  labels: number[];
  verdict: 'confirmed' | 'false_alarm';
}

type Row = JudgedAlertRow;

/** The model's input and label for one judged alert, or null when its window is unusable. */
function example(model: string, labels: readonly string[], r: Row, verdict: 'confirmed' | 'false_alarm'): Example | null {
  const w = r.window;
  const yes = verdict === 'confirmed';
  const idx = (l: string) => labels.indexOf(l);
  if (model === 'fishing') {
    const obs = w.observations;
    if (!Array.isArray(obs) || obs.length === 0 || typeof w.localHour !== 'number') return null;
    const history = (obs as number[][]).map(([dwellS = 0, waterlineM = 0, rodScore = 0, speedMps = 0]) => ({ dwellS, waterlineM, rodScore, speedMps }));
    // The whole-track summary stored with the alert (older alerts have none: the window's own stands in).
    const whole = isTrackSummary(w.track) ? w.track : undefined;
    return { alertId: r.id, features: fishingFeatures(history, w.localHour, undefined, 0, whole), labels: [idx(yes ? 'fishing' : 'other')], verdict };
  }
  if (model === 'crowding') {
    const counts = w.countsPerMinute;
    if (!Array.isArray(counts) || counts.length === 0 || typeof w.capacity !== 'number' || typeof w.localHour !== 'number') return null;
    const capacity = w.capacity;
    const last = counts[counts.length - 1] as number;
    const y = labels.map((l) => (!yes ? 0 : l === 'exceed_15m' ? 1 : l === 'risk_now' ? Number(last >= capacity) : 0));
    return { alertId: r.id, features: crowdFeatures(counts as number[], capacity, w.localHour), labels: y, verdict };
  }
  const frames = w.frames;
  if (!Array.isArray(frames) || frames.length === 0) return null;
  // A dismissed music alert was some other sound: the likeliest other label of the active model's scores.
  const scores = (r.evidence.scores ?? {}) as Record<string, number>;
  const other = labels.filter((l) => l !== 'music').sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0))[0] ?? 'other';
  return { alertId: r.id, features: noiseWindowFeatures(frames as NoiseFrame[]), labels: [idx(yes ? 'music' : other)], verdict };
}

/** Alerts of the model's kind with a stored window and the officers' verdict. */
export async function officerExamples(pool: pg.Pool, model: string, labels: readonly string[]): Promise<Example[]> {
  const out: Example[] = [];
  for (const row of await alertsWithWindows(pool, KIND[model]!)) {
    const verdict = row.verdict ?? (row.state !== null && CONFIRMING_STATES.includes(row.state) ? 'confirmed' : null);
    if (!verdict) continue; // not judged (yet)
    const e = example(model, labels, row, verdict);
    if (e) out.push(e);
  }
  return out;
}

/** A quarter of the officers' examples, by alert id, are held out (stable as more verdicts come in). */
const heldOutExample = (id: string) => parseInt(createHash('sha256').update(id).digest('hex').slice(0, 2), 16) < 64;

function bumpVersion(v: string): string {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? `${m[1]}.${Number(m[2]) + 1}.0` : `${v}.1`;
}

/** Every `step`-th sample of a set, at most `max`. */
function subsample(d: DataSet, width: number, labelWidth: number, max: number): DataSet {
  const step = Math.max(1, Math.ceil(d.samples / max));
  const n = Math.ceil(d.samples / step);
  const features = new Float32Array(n * width);
  const labels = new Uint8Array(n * labelWidth);
  for (let i = 0; i < n; i++) {
    features.set(d.features.subarray(i * step * width, (i * step + 1) * width), i * width);
    labels.set(d.labels.subarray(i * step * labelWidth, (i * step + 1) * labelWidth), i * labelWidth);
  }
  return { features, labels, samples: n };
}

function join(parts: { set: DataSet; weight: number }[], width: number): TrainingSet {
  const samples = parts.reduce((s, p) => s + p.set.samples, 0);
  const features = new Float32Array(samples * width);
  const labels = new Uint8Array(parts.reduce((s, p) => s + p.set.labels.length, 0));
  const weights = new Float32Array(samples);
  let n = 0;
  let l = 0;
  for (const p of parts) {
    features.set(p.set.features, n * width);
    labels.set(p.set.labels, l);
    weights.fill(p.weight, n, n + p.set.samples);
    n += p.set.samples;
    l += p.set.labels.length;
  }
  return { features, labels, weights, samples };
}

const asSet = (xs: Example[], width: number): DataSet => ({
  features: Float32Array.from(xs.flatMap((x) => [...x.features.subarray(0, width)])),
  labels: Uint8Array.from(xs.flatMap((x) => x.labels)),
  samples: xs.length,
});

export interface RetrainResult {
  name: string;
  previous: string;
  version: string;
  dir: string;
  card: ModelCard;
  officers: { train: number; heldOut: number; confirmed: number; falseAlarms: number };
}

export async function retrain(o: RetrainOptions): Promise<RetrainResult> {
  const spec = MODELS.find((m) => m.name === o.model);
  if (!spec) throw new Error(`unknown model ${o.model} (known: ${MODELS.map((m) => m.name).join(', ')})`);
  const width = { 'noise-window': NOISE_WINDOW_FEATURE_COUNT, fishing: FISHING_FEATURE_COUNT, crowding: CROWD_FEATURE_COUNT }[spec.name] ?? spec.featureCount;
  const multi = spec.activation === 'sigmoid';
  const labelWidth = multi ? spec.labels.length : 1;
  const stored = await listModels(o.modelDirs);
  const base = newest(stored, spec.name);
  if (!base) throw new Error(`no current version of ${spec.name} in ${o.modelDirs.join(', ')}`);
  let version = bumpVersion(base.version);
  while (stored.some((m) => m.name === spec.name && m.version === version)) version = bumpVersion(version);

  const officers = await officerExamples(o.pool, spec.name, spec.labels);
  const holdOut = o.holdOut ?? heldOutExample;
  const officersHeld = officers.filter((e) => holdOut(e.alertId));
  const officersTrain = officers.filter((e) => !holdOut(e.alertId));
  o.log(`${spec.name}: ${officers.length} officers' examples (${officers.filter((e) => e.verdict === 'confirmed').length} confirmed, ${officers.filter((e) => e.verdict === 'false_alarm').length} false alarms): ${officersTrain.length} to train, ${officersHeld.length} held out`);

  const generated = subsample(o.generators?.train ?? loadOrBuild(spec.data.train, { log: o.log }), width, labelWidth, o.generatorSamples);
  const generatedHeld = subsample(o.generators?.heldOut ?? loadOrBuild(spec.data.heldOut, { log: o.log }), width, labelWidth, o.generatorSamples);
  const trainDescription = o.generators?.description ?? spec.data.train.description;
  const heldOutDescription = o.generators?.description ?? spec.data.heldOut.description;
  const training = join([{ set: generated, weight: 1 }, { set: asSet(officersTrain, width), weight: o.officerWeight }], width);
  const started = Date.now();
  const net = trainMlp(training, width, spec.labels.length, { hidden: o.hidden, activation: spec.activation, epochs: o.epochs, learningRate: 3e-3, batch: 256, seed: o.seed });
  o.log(`${spec.name}: trained on ${training.samples} samples in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const onnx = toOnnx(net, 'riverside-enforcement models:retrain');

  const dir = path.join(o.outDir, `${spec.name}-${version}`);
  await mkdir(dir, { recursive: true });
  const file = `${spec.name}.onnx`;
  await writeFile(path.join(dir, file), onnx);

  // Both versions scored through onnxruntime on the same held-out data.
  const held = join([{ set: generatedHeld, weight: 1 }, { set: asSet(officersHeld, width), weight: 1 }], width);
  const heldDescription = `${generatedHeld.samples} samples of the generators' held-out set (${heldOutDescription}) and ${officersHeld.length} officers' examples held out by alert id (never trained on)`;
  const evaluate = async (dirOf: string, set: DataSet, description: string): Promise<Evaluation | null> => {
    if (set.samples === 0) return null;
    const m = await OnnxModel.load(dirOf, spec.name, width);
    try {
      const p = await m.run(set.features, set.samples);
      return multi ? multiLabel(spec.labels, p, set.labels, description) : singleLabel(spec.labels, p, set.labels, description);
    } finally {
      await m.close();
    }
  };
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  const card: ModelCard = {
    name: spec.name,
    version,
    task: base.card.task,
    file,
    sha256,
    inputs: base.card.inputs,
    outputs: base.card.outputs,
    labels: [...spec.labels],
    thresholds: base.card.thresholds,
    training: {
      seed: o.seed,
      samples: training.samples,
      description:
        `Retrained from ${spec.name}@${base.version}'s data: ${generated.samples} generator samples (${trainDescription}) and ` +
        `${officersTrain.length} officers' verdicts on alerts (input windows stored with the alerts; confirmed = verdict or a case accepted/resolved/decided, ` +
        `false alarm = dismissed), each weighing ${o.officerWeight}. Network: MLP ${width}-${o.hidden}-${spec.labels.length} (ReLU, ${spec.activation} output in the graph), ` +
        `Adam lr 0.003, batch 256, ${o.epochs} epochs, trained in TypeScript (inference/train/mlp.ts), seed ${o.seed}.`,
      command: `npm run models:retrain -- --model ${spec.name} --epochs ${o.epochs}`,
    },
    metrics: { heldOut: { description: heldDescription, samples: 1, accuracy: 0, perClass: {} } },
  };
  await writeFile(path.join(dir, `${spec.name}.card.json`), JSON.stringify(card, null, 2) + '\n');
  const next = await evaluate(dir, held, heldDescription);
  const previous = await evaluate(base.dir, held, heldDescription);
  const nextOfficers = await evaluate(dir, asSet(officersHeld, width), 'officers’ held-out examples only');
  const previousOfficers = await evaluate(base.dir, asSet(officersHeld, width), 'officers’ held-out examples only');
  if (!next || !previous) throw new Error(`${spec.name}: no held-out data to compare the versions on`);
  card.metrics = { heldOut: next };
  card.retraining = {
    previousVersion: base.version,
    officers: { train: officersTrain.length, heldOut: officersHeld.length, confirmed: officers.filter((e) => e.verdict === 'confirmed').length, falseAlarms: officers.filter((e) => e.verdict === 'false_alarm').length },
    comparison: { previous, next, ...(previousOfficers && nextOfficers ? { previousOnOfficers: previousOfficers, nextOnOfficers: nextOfficers } : {}) },
  };
  await writeFile(path.join(dir, `${spec.name}.card.json`), JSON.stringify(card, null, 2) + '\n');
  for (const [v, e] of [[base.version, previous], [version, next]] as const) {
    o.log(`  ${spec.name}@${v} on the held-out data: accuracy ${e.accuracy} ${spec.positive.map((l) => `${l} P ${e.perClass[l]?.precision} R ${e.perClass[l]?.recall} F1 ${e.perClass[l]?.f1}`).join(', ')}`);
  }

  await new InferenceRepository(o.pool).registerModels([{ name: spec.name, version, card }]);
  if (o.rollout) await o.rollout(spec.name, { active: base.version, shadow: version });
  o.log(`${spec.name}@${version} written to ${dir}, registered${o.rollout ? ` and rolled out in shadow beside ${base.version}` : ''}`);
  return {
    name: spec.name,
    previous: base.version,
    version,
    dir,
    card,
    officers: card.retraining.officers,
  };
}

/**
 * `npm run models:evaluate [model ...]`: scores every committed model through the runtime path
 * (OnnxModel + onnxruntime-node) on
 * - its held-out scenarios (the card's seed; rebuilt when `.data` is missing or stale),
 * - fresh held-out scenarios (another seed, never seen by training or the card),
 * - its cross-generator set (data made a different way than the training data),
 * prints precision / recall / F1 per class and checks that the card's figures are reproduced.
 */
import { OnnxModel } from '../onnx-model.js';
import type { Evaluation } from '../../contract/model-card.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, MODELS_DIR, loadOrBuild, type DataSet, type DataSetSpec } from './dataset-io.js';
import { multiLabel, singleLabel } from './metrics.js';
import type { ModelSpec } from './model-spec.js';
import { selected } from './models.js';

const BATCH = 4096;

async function score(model: OnnxModel, set: DataSet, width: number): Promise<Float32Array> {
  const k = model.card.labels.length;
  const out = new Float32Array(set.samples * k);
  for (let start = 0; start < set.samples; start += BATCH) {
    const n = Math.min(BATCH, set.samples - start);
    out.set(await model.run(set.features.subarray(start * width, (start + n) * width), n), start * k);
  }
  return out;
}

function table(title: string, ev: Evaluation): void {
  console.log(`  ${title}: ${ev.samples} samples, accuracy ${ev.accuracy.toFixed(4)} (${ev.decision ?? ''})`);
  console.log(`    ${'class'.padEnd(14)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'F1'.padStart(10)}${'support'.padStart(9)}`);
  for (const [label, c] of Object.entries(ev.perClass)) {
    console.log(`    ${label.padEnd(14)}${c.precision.toFixed(4).padStart(10)}${c.recall.toFixed(4).padStart(10)}${c.f1.toFixed(4).padStart(10)}${String(c.support).padStart(9)}`);
  }
  if (ev.confusion) {
    console.log('    confusion (rows true, columns predicted): ' + ev.confusion.map((r) => `[${r.join(' ')}]`).join(' '));
  }
}

/** Largest difference between two evaluations' per-class figures. */
function drift(a: Evaluation, b: Evaluation): number {
  let d = Math.abs(a.accuracy - b.accuracy);
  for (const [label, c] of Object.entries(a.perClass)) {
    const o = b.perClass[label];
    if (!o) return Infinity;
    d = Math.max(d, Math.abs(c.precision - o.precision), Math.abs(c.recall - o.recall), Math.abs(c.f1 - o.f1));
  }
  return d;
}

async function evaluateModel(m: ModelSpec): Promise<boolean> {
  const model = await OnnxModel.load(MODELS_DIR, m.name, m.featureCount);
  const log = (msg: string): void => console.log(`  (${msg})`);
  try {
    console.log(`\n${m.name}@${model.card.version}  sha256 ${model.card.sha256.slice(0, 16)}…  labels ${model.card.labels.join(', ')}`);
    const judge = async (spec: DataSetSpec, write: boolean, threshold = 0.5): Promise<Evaluation> => {
      const set = loadOrBuild(spec, { write, log: write ? log : undefined });
      const probs = await score(model, set, m.featureCount);
      return m.activation === 'softmax'
        ? singleLabel(model.card.labels, probs, set.labels, spec.description)
        : multiLabel(model.card.labels, probs, set.labels, spec.description, threshold);
    };
    const held = await judge(m.data.heldOut, true);
    table(`held-out scenarios (seed ${m.data.heldOut.seed})`, held);
    const freshSpec: DataSetSpec = { ...m.data.heldOut, seed: m.data.heldOut.seed + 7919, split: 'heldOut' };
    const freshSet = freshSpec.build(freshSpec.seed);
    const freshProbs = await score(model, freshSet, m.featureCount);
    const fresh = m.activation === 'softmax'
      ? singleLabel(model.card.labels, freshProbs, freshSet.labels, 'fresh')
      : multiLabel(model.card.labels, freshProbs, freshSet.labels, 'fresh');
    table(`fresh held-out scenarios (seed ${freshSpec.seed}, not in the card)`, fresh);
    const cross = await judge(m.data.validation, true);
    table('cross-generator (made a different way)', cross);
    if (m.activation === 'sigmoid') {
      for (const [key, t] of Object.entries(model.card.thresholds)) {
        if (!key.endsWith('.on')) continue;
        const label = key.slice(0, -3);
        const at = await judge(m.data.heldOut, false, t);
        const atCross = await judge(m.data.validation, false, t);
        const c = at.perClass[label];
        const x = atCross.perClass[label];
        if (c && x) console.log(`  at ${key} = ${t}: ${label} held-out P ${c.precision.toFixed(4)} R ${c.recall.toFixed(4)} F1 ${c.f1.toFixed(4)}; cross-generator P ${x.precision.toFixed(4)} R ${x.recall.toFixed(4)} F1 ${x.f1.toFixed(4)}`);
      }
    }
    let dReal = 0;
    const realSpec = m.data.realHeldOut;
    const realCard = model.card.metrics.realHeldOut;
    if (realSpec && realCard) {
      if (existsSync(join(DATA_DIR, `${m.name}-realHeldOut.json`))) {
        const real = await judge(realSpec, false);
        table('real recordings held out whole (argmax)', real);
        dReal = drift(real, realCard);
      } else {
        console.log(`  real recordings held out: skipped, ${m.name}-realHeldOut is not built (it needs the Debian packages of inference/train/real-sources.ts: run \`npm run models:train\` as root)`);
      }
      const at = realCard.atThreshold;
      if (at) console.log(`  card, real held-out: ${at.label} at p >= ${at.threshold}: P ${at.precision.toFixed(4)} R ${at.recall.toFixed(4)}; by period ${Object.entries(realCard.byPeriod ?? {}).map(([k, c]) => `${k} P ${c.precision.toFixed(4)} R ${c.recall.toFixed(4)}`).join(', ')}`);
    }
    const dHeld = drift(held, model.card.metrics.heldOut);
    const dCross = model.card.metrics.validation ? drift(cross, model.card.metrics.validation) : Infinity;
    const ok = dHeld <= 0.002 && dCross <= 0.002 && dReal <= 0.002;
    console.log(`  card figures ${ok ? 'reproduced' : 'NOT reproduced'} through onnxruntime (largest difference: held-out ${dHeld.toFixed(4)}, cross-generator ${dCross.toFixed(4)})`);
    for (const label of m.positive) {
      const f1 = held.perClass[label]?.f1 ?? 0;
      console.log(`  target F1 >= 0.9 for ${label} on held-out: ${f1.toFixed(4)} ${f1 >= 0.9 ? 'met' : 'NOT met'}; cross-generator ${(cross.perClass[label]?.f1 ?? 0).toFixed(4)}`);
    }
    return ok;
  } finally {
    await model.close();
  }
}

async function main(): Promise<void> {
  let ok = true;
  for (const m of selected(process.argv.slice(2))) ok = (await evaluateModel(m)) && ok;
  if (!ok) {
    console.error('\nsome card figures were not reproduced: retrain with `npm run models:train`');
    process.exitCode = 1;
  }
}

await main();

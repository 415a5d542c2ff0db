/**
 * Classification figures in the model card's `Evaluation` shape, computed from model outputs (the
 * same definitions as train.py, so `npm run models:evaluate` can check a card's figures through
 * onnxruntime): single-label models are judged by argmax, multi-label ones per label at `threshold`.
 */
import type { Calibration, Evaluation } from '../../contract/model-card.js';

const r4 = (v: number): number => Math.round(v * 10_000) / 10_000;

function binary(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision: r4(precision), recall: r4(recall), f1: r4(f1) };
}

/** Single-label figures: `probs` n × k row-major, `truth` class index per sample. */
export function singleLabel(labels: readonly string[], probs: Float32Array, truth: ArrayLike<number>, description: string): Evaluation {
  const k = labels.length;
  const n = truth.length;
  const confusion = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((probs[i * k + j] as number) > (probs[i * k + best] as number)) best = j;
    const row = confusion[truth[i] as number] as number[];
    row[best] = (row[best] ?? 0) + 1;
  }
  let correct = 0;
  const perClass: Evaluation['perClass'] = {};
  labels.forEach((label, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    correct += tp;
    const predicted = confusion.reduce((s, row) => s + (row[c] ?? 0), 0);
    const support = (confusion[c] ?? []).reduce((s, v) => s + v, 0);
    perClass[label] = { ...binary(tp, predicted - tp, support - tp), support };
  });
  return { description, samples: n, accuracy: r4(correct / n), perClass, confusion, decision: 'argmax' };
}

/** Multi-label figures: `probs` and `truth` n × k row-major (truth 0/1). */
export function multiLabel(labels: readonly string[], probs: Float32Array, truth: ArrayLike<number>, description: string, threshold = 0.5): Evaluation {
  const k = labels.length;
  const n = truth.length / k;
  const perClass: Evaluation['perClass'] = {};
  const confusionPerLabel: NonNullable<Evaluation['confusionPerLabel']> = {};
  let allRight = 0;
  for (let i = 0; i < n; i++) {
    let right = true;
    for (let j = 0; j < k; j++) if (((probs[i * k + j] as number) >= threshold) !== ((truth[i * k + j] as number) >= 0.5)) right = false;
    if (right) allRight++;
  }
  labels.forEach((label, j) => {
    let [tp, fp, fn, tn] = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const p = (probs[i * k + j] as number) >= threshold;
      const t = (truth[i * k + j] as number) >= 0.5;
      if (p && t) tp++;
      else if (p) fp++;
      else if (t) fn++;
      else tn++;
    }
    perClass[label] = { ...binary(tp, fp, fn), support: tp + fn };
    confusionPerLabel[label] = [[tn, fp], [fn, tp]];
  });
  return { description, samples: n, accuracy: r4(allRight / n), perClass, confusionPerLabel, decision: `p(label) >= ${threshold} per label` };
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Reliability curve and threshold trade-off of one label from probabilities and 0/1 truth. */
export function calibration(label: string, set: string, p: ArrayLike<number>, truth: ArrayLike<number>, bins = 10): Calibration {
  const n = p.length;
  const reliability: Calibration['reliability'] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const [from, to] = [b / bins, (b + 1) / bins];
    let [k, sp, st] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = p[i] as number;
      if (x >= from && (x < to || (b === bins - 1 && x <= 1))) {
        k++;
        sp += x;
        st += truth[i] as number;
      }
    }
    if (k === 0) continue;
    reliability.push({ from, to, samples: k, meanPredicted: r3(sp / k), observed: r3(st / k) });
    ece += (k / n) * Math.abs(st / k - sp / k);
  }
  const thresholds = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((threshold) => {
    let [tp, fp, fn] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const yes = (p[i] as number) >= threshold;
      const t = (truth[i] as number) >= 0.5;
      if (yes && t) tp++;
      else if (yes) fp++;
      else if (t) fn++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    return { threshold, precision: r3(precision), recall: r3(recall), f1: r3(precision + recall ? (2 * precision * recall) / (precision + recall) : 0), flagged: r3((tp + fp) / n) };
  });
  return { label, set, samples: n, ece: r3(ece), reliability, thresholds };
}


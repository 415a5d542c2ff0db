/**
 * A small MLP trained in TypeScript (no torch needed) and written as ONNX, for `npm run models:retrain`:
 * features → Gemm → ReLU → Gemm → softmax (one label per row) or sigmoid (independent labels), the
 * output activation inside the graph like train.py's exports, so the worker gets probabilities.
 * Adam on mini-batches, deterministic for a seed. The ONNX protobuf is encoded here (the few message
 * types the graph needs), opset 13.
 */
import { Rng } from '../../core/rng.js';

export interface MlpOptions {
  hidden: number;
  activation: 'softmax' | 'sigmoid';
  epochs: number;
  learningRate: number;
  batch: number;
  seed: number;
}

export interface TrainingSet {
  features: Float32Array;
  /** softmax: class index per sample; sigmoid: 0/1 per sample × output. */
  labels: Uint8Array;
  /** Weight of each sample in the loss (officers' examples count more than generated ones). */
  weights: Float32Array;
  samples: number;
}

export interface Mlp {
  inputs: number;
  hidden: number;
  outputs: number;
  activation: 'softmax' | 'sigmoid';
  /** inputs × hidden, hidden; hidden × outputs, outputs (row-major, ONNX Gemm B layout). */
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** Probabilities for one row (used in training; serving goes through onnxruntime). */
function forward(m: Mlp, x: Float32Array, off: number, h: Float64Array, out: Float64Array): void {
  for (let j = 0; j < m.hidden; j++) {
    let s = m.b1[j] as number;
    for (let i = 0; i < m.inputs; i++) s += (x[off + i] as number) * (m.w1[i * m.hidden + j] as number);
    h[j] = s > 0 ? s : 0;
  }
  for (let k = 0; k < m.outputs; k++) {
    let s = m.b2[k] as number;
    for (let j = 0; j < m.hidden; j++) s += (h[j] as number) * (m.w2[j * m.outputs + k] as number);
    out[k] = s;
  }
  if (m.activation === 'sigmoid') {
    for (let k = 0; k < m.outputs; k++) out[k] = 1 / (1 + Math.exp(-(out[k] as number)));
  } else {
    let max = -Infinity;
    for (let k = 0; k < m.outputs; k++) max = Math.max(max, out[k] as number);
    let sum = 0;
    for (let k = 0; k < m.outputs; k++) sum += out[k] = Math.exp((out[k] as number) - max);
    for (let k = 0; k < m.outputs; k++) out[k] = (out[k] as number) / sum;
  }
}

export function trainMlp(set: TrainingSet, inputs: number, outputs: number, o: MlpOptions): Mlp {
  const rng = new Rng(o.seed);
  const init = (n: number, fanIn: number) => Float32Array.from({ length: n }, () => rng.normal(0, Math.sqrt(2 / fanIn)));
  const m: Mlp = { inputs, hidden: o.hidden, outputs, activation: o.activation, w1: init(inputs * o.hidden, inputs), b1: new Float32Array(o.hidden), w2: init(o.hidden * outputs, o.hidden), b2: new Float32Array(outputs) };
  const params = [m.w1, m.b1, m.w2, m.b2];
  const grads = params.map((p) => new Float64Array(p.length));
  const mom = params.map((p) => new Float64Array(p.length));
  const vel = params.map((p) => new Float64Array(p.length));
  const h = new Float64Array(o.hidden);
  const out = new Float64Array(outputs);
  const dOut = new Float64Array(outputs);
  const dH = new Float64Array(o.hidden);
  const order = Array.from({ length: set.samples }, (_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (let start = 0; start < order.length; start += o.batch) {
      for (const g of grads) g.fill(0);
      const batch = order.slice(start, start + o.batch);
      let weightSum = 0;
      for (const n of batch) {
        const w = set.weights[n] as number;
        weightSum += w;
        forward(m, set.features, n * inputs, h, out);
        // Cross-entropy (softmax) and binary cross-entropy (sigmoid) both give p − y at the logits.
        for (let k = 0; k < outputs; k++) {
          const y = o.activation === 'softmax' ? (set.labels[n] === k ? 1 : 0) : (set.labels[n * outputs + k] as number);
          dOut[k] = w * ((out[k] as number) - y);
        }
        const [gw1, gb1, gw2, gb2] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
        for (let j = 0; j < o.hidden; j++) {
          let s = 0;
          for (let k = 0; k < outputs; k++) {
            gw2[j * outputs + k] = (gw2[j * outputs + k] as number) + (h[j] as number) * (dOut[k] as number);
            s += (m.w2[j * outputs + k] as number) * (dOut[k] as number);
          }
          dH[j] = (h[j] as number) > 0 ? s : 0;
        }
        for (let k = 0; k < outputs; k++) gb2[k] = (gb2[k] as number) + (dOut[k] as number);
        for (let i = 0; i < inputs; i++) {
          const x = set.features[n * inputs + i] as number;
          if (x === 0) continue;
          for (let j = 0; j < o.hidden; j++) gw1[i * o.hidden + j] = (gw1[i * o.hidden + j] as number) + x * (dH[j] as number);
        }
        for (let j = 0; j < o.hidden; j++) gb1[j] = (gb1[j] as number) + (dH[j] as number);
      }
      step++;
      const c1 = 1 - 0.9 ** step;
      const c2 = 1 - 0.999 ** step;
      params.forEach((p, q) => {
        const g = grads[q] as Float64Array;
        const mq = mom[q] as Float64Array;
        const vq = vel[q] as Float64Array;
        for (let i = 0; i < p.length; i++) {
          const gi = (g[i] as number) / weightSum;
          mq[i] = 0.9 * (mq[i] as number) + 0.1 * gi;
          vq[i] = 0.999 * (vq[i] as number) + 0.001 * gi * gi;
          p[i] = (p[i] as number) - (o.learningRate * ((mq[i] as number) / c1)) / (Math.sqrt((vq[i] as number) / c2) + 1e-8);
        }
      });
    }
  }
  return m;
}

// --- ONNX (protobuf) encoding -------------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Uint8Array | number[]) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);

const FLOAT = 1;

function tensor(name: string, dims: number[], data: Float32Array): number[] {
  const raw = new Uint8Array(Buffer.from(Float32Array.from(data).buffer)); // little-endian on every supported platform
  return [...dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...str(8, name), ...bytes(9, raw)];
}

function valueInfo(name: string, width: number): number[] {
  const shape = [...bytes(1, str(2, 'N')), ...bytes(1, int(1, width))];
  const tensorType = [...int(1, FLOAT), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

function node(op: string, inputs: string[], outputs: string[], attrs: number[][] = []): number[] {
  return [...inputs.flatMap((i) => str(1, i)), ...outputs.flatMap((o) => str(2, o)), ...str(3, `${op}_${outputs[0]}`), ...str(4, op), ...attrs.flatMap((a) => bytes(5, a))];
}

const intAttr = (name: string, v: number) => [...str(1, name), ...int(3, v), ...int(20, 2)];

/** The network as an ONNX model: input `features` [N, inputs] → output `probabilities` [N, outputs]. */
export function toOnnx(m: Mlp, producer: string): Uint8Array {
  const nodes = [
    node('Gemm', ['features', 'w1', 'b1'], ['h1']),
    node('Relu', ['h1'], ['a1']),
    node('Gemm', ['a1', 'w2', 'b2'], ['logits']),
    m.activation === 'softmax' ? node('Softmax', ['logits'], ['probabilities'], [intAttr('axis', 1)]) : node('Sigmoid', ['logits'], ['probabilities']),
  ];
  const graph = [
    ...nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'mlp'),
    ...bytes(5, tensor('w1', [m.inputs, m.hidden], m.w1)),
    ...bytes(5, tensor('b1', [m.hidden], m.b1)),
    ...bytes(5, tensor('w2', [m.hidden, m.outputs], m.w2)),
    ...bytes(5, tensor('b2', [m.outputs], m.b2)),
    ...bytes(11, valueInfo('features', m.inputs)),
    ...bytes(12, valueInfo('probabilities', m.outputs)),
  ];
  const opset = [...str(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 7), ...str(2, producer), ...bytes(7, graph), ...bytes(8, opset)]);
}

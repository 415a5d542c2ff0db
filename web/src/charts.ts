import { h, s } from './dom';
import { clock, when } from './format';

/** Small SVG charts: evidence drawn as pictures (levels against the limit, scores, counts against capacity). */
export interface Series { label: string; color: string; points: [number, number][]; dash?: string }
export interface RefLine { y: number; label: string; color: string }

const W = 640;
const H = 240;
const PAD = { l: 52, r: 16, t: 28, b: 34 };

function ticks(min: number, max: number, n = 4): number[] {
  const step = (max - min) / n;
  return Array.from({ length: n + 1 }, (_, i) => min + i * step);
}

/** Round axis steps (1, 2, 5 × 10^k) covering [min, max]. */
function niceTicks(min: number, max: number, n = 4): number[] {
  const raw = (max - min) / n || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step / 2; v += step) out.push(v);
  return out;
}

/** A line chart over time (x in ms) with reference lines (the limit in force, the capacity). */
export function lineChart(opts: { title: string; series: Series[]; refs?: RefLine[]; yUnit: string; xTime?: boolean; yMin?: number }): HTMLElement {
  const all = opts.series.flatMap((sr) => sr.points);
  const ys = [...all.map((p) => p[1]), ...(opts.refs ?? []).map((r) => r.y)];
  const xs = all.map((p) => p[0]);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = Math.max(...xs, x0 + 1);
  const yTicks = niceTicks(opts.yMin ?? Math.min(...ys) - 3, Math.max(...ys) + 3);
  const yMin = yTicks[0]!;
  const yMax = yTicks.at(-1)!;
  const X = (x: number) => PAD.l + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.l - PAD.r);
  const Y = (y: number) => H - PAD.b - ((y - yMin) / (yMax - yMin || 1)) * (H - PAD.t - PAD.b);
  const time = (ms: number) => clock(ms, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.title },
    s('title', null, opts.title),
    yTicks.map((v) => [
      s('line', { x1: PAD.l, x2: W - PAD.r, y1: Y(v), y2: Y(v), class: 'grid' }),
      s('text', { x: PAD.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'tick' }, Math.round(v)),
    ]),
    s('text', { x: PAD.l - 6, y: 14, 'text-anchor': 'end', class: 'tick' }, opts.yUnit),
    (opts.xTime ?? true) && xs.length
      ? ticks(x0, x1, 3).map((v, i, all) => s('text', { x: X(v), y: H - 10, 'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle', class: 'tick' }, time(v)))
      : null,
    (opts.refs ?? []).map((r) => [
      s('line', { x1: PAD.l, x2: W - PAD.r, y1: Y(r.y), y2: Y(r.y), stroke: r.color, 'stroke-width': 3, 'stroke-dasharray': '10 6' }),
      s('text', { x: W - PAD.r - 4, y: Y(r.y) - 6, 'text-anchor': 'end', fill: r.color, class: 'ref' }, r.label),
    ]),
    opts.series.map((sr) =>
      s('polyline', { points: sr.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' '), fill: 'none', stroke: sr.color, 'stroke-width': 3, 'stroke-dasharray': sr.dash ?? '' })),
  );
  return h('figure', { class: 'chart-box' }, svg, h('figcaption', null, opts.title, ' ', legend(opts.series)));
}

function legend(series: Series[]): HTMLElement {
  return h('span', { class: 'legend' }, series.map((sr) => h('span', null, h('i', { style: { background: sr.color } }), sr.label)));
}

/** Horizontal bars from 0 to 1 (class scores), the winning one highlighted. */
export function scoreBars(title: string, scores: Record<string, number>, labelOf: (k: string) => string): HTMLElement {
  const entries = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  const top = entries[0]?.[0];
  return h('figure', { class: 'chart-box' },
    h('div', { class: 'bars', role: 'img', 'aria-label': title },
      entries.map(([k, v]) => h('div', { class: ['bar-row', k === top && 'top'] },
        h('span', { class: 'bar-label' }, labelOf(k)),
        h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: `${Math.round(v * 100)}%` } })),
        h('span', { class: 'bar-value' }, `${Math.round(v * 100)}%`)))),
    h('figcaption', null, title));
}

/** Vertical bars per hour (operations overview). */
export function hourBars(title: string, given: { hour: string; n: number }[], color: string): HTMLElement {
  // The last 24 hours, an empty hour as a zero bar.
  const now = new Date();
  now.setMinutes(0, 0, 0);
  const byHour = new Map(given.map((d) => [new Date(d.hour).getTime(), d.n]));
  const data = Array.from({ length: 24 }, (_, i) => {
    const at = now.getTime() - (23 - i) * 3_600_000;
    return { hour: new Date(at).toISOString(), n: byHour.get(at) ?? 0 };
  });
  const yTicks = niceTicks(0, Math.max(4, ...data.map((d) => d.n)), 4);
  const max = yTicks.at(-1)!;
  const bw = (W - PAD.l - PAD.r) / Math.max(24, data.length);
  const Y = (v: number) => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
  return h('figure', { class: 'chart-box' },
    s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title },
      s('title', null, title),
      yTicks.map((v) => [s('line', { x1: PAD.l, x2: W - PAD.r, y1: Y(v), y2: Y(v), class: 'grid' }), s('text', { x: PAD.l - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'tick' }, Math.round(v))]),
      data.map((d, i) => s('rect', { x: PAD.l + i * bw + 2, y: Y(d.n), width: Math.max(2, bw - 4), height: H - PAD.b - Y(d.n), fill: color },
        s('title', null, `${when(d.hour)}: ${d.n}`))),
      hourTicks(data.map((d) => d.hour)).map(({ i, text }) => s('text', { x: PAD.l + (i + 0.5) * bw, y: H - 10, 'text-anchor': i === data.length - 1 ? 'end' : 'middle', class: 'tick x-tick' }, text))),
    h('figcaption', null, title));
}

/**
 * The hour axis' labels: every sixth hour of the district's clock, midnight as the day's date (so that
 * yesterday's evening is not read as today's), and the current hour; none closer than three bars.
 */
export function hourTicks(hours: string[]): { i: number; text: string }[] {
  const last = hours.length - 1;
  const out: { i: number; text: string }[] = [];
  hours.forEach((iso, i) => {
    const hh = Number(clock(iso, { hour: '2-digit', hourCycle: 'h23' }).replace(/\D/g, ''));
    if ((hh % 6 === 0 && last - i >= 3) || i === last) {
      out.push({ i, text: hh === 0 ? clock(iso, { month: '2-digit', day: '2-digit' }) : clock(iso, { hour: '2-digit', minute: '2-digit' }) });
    }
  });
  return out;
}

/** A horizontal scale with a marker: a value against a limit (people against capacity, a fine within bounds). */
export function gauge(opts: { title: string; value: number; limit: number; unit: string; limitLabel: string }): HTMLElement {
  const max = Math.max(opts.value, opts.limit) * 1.15 || 1;
  const pct = (v: number) => `${((v / max) * 100).toFixed(1)}%`;
  const over = opts.value > opts.limit;
  return h('figure', { class: 'chart-box' },
    h('div', { class: 'gauge', role: 'img', 'aria-label': `${opts.title}: ${opts.value} ${opts.unit}, ${opts.limitLabel} ${opts.limit}` },
      h('span', { class: ['gauge-fill', over && 'over'], style: { width: pct(opts.value) } }),
      h('span', { class: 'gauge-limit', style: { left: pct(opts.limit) } }, h('b', null, `${opts.limitLabel} ${opts.limit}`))),
    h('figcaption', null, `${opts.title}: `, h('strong', null, `${opts.value} ${opts.unit}`)));
}

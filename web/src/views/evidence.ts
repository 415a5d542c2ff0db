import { blobUrl } from '../api/client';
import { gauge, lineChart, scoreBars } from '../charts';
import { h, keyedRows, mount, place, s } from '../dom';
import { date, localName, person, when } from '../format';
import { t } from '../i18n';
import { locate } from './actions';
import { state } from '../state';
import type { CaseContext } from './case';

interface Command { name: string; stage: string | null; payload: { clip?: string } | null; sentAt: string; ackedAt: string | null; effect: { metric: string; before: number; after: number; fell: boolean } | null }
interface AlertEvidence {
  id: string;
  kind: string;
  deviceId: string | null;
  startedAt: string;
  detectedAt: string;
  modelVersion: string | null;
  commands: Command[];
  evidence: {
    laeq?: number; lamaxMax?: number; levels?: [string, number, number][]; limit?: { laeq: number; lamax?: number; period?: string };
    scores?: Record<string, number>;
    count?: number; capacity?: number; countsPerMinute?: number[];
    dwellS?: number; waterlineM?: number; rodScoreMean?: number; warnings?: number; snapshot?: string | null;
    inspectionNumber?: number; findings?: { check: string; compliant: boolean; note?: string }[]; note?: string | null;
    nearestM?: number; atEdgeS?: number; warnedAt?: string | null; warning?: string; closureRule?: { name: string; nameZh?: string } | null;
    basis?: string; readings?: [string, number, number, number | null][];
    thresholds?: { alarmObscuration?: number; clearObscuration?: number; fixedTempC?: number; rateOfRiseCPerMin?: number };
  };
}

/**
 * The evidence as pictures: per alert its chart, scores and device actions; the files; the records to
 * review. One panel per case screen, kept across refreshes: an alert, a file or a record is rebuilt only
 * when it changed, so a review button being tapped stays in the page while the case is read again.
 */
export function evidencePanel(): (ctx: CaseContext) => HTMLElement {
  let ctx: CaseContext;
  const title = h('h2', { id: 'h-evidence' }, t('evidenceTitle'));
  const el = h('section', { class: 'panel evidence', id: 'd-evidence', 'aria-labelledby': 'h-evidence' }, title);
  const alerts = keyedRows((a: AlertEvidence) => a.id, (a) => JSON.stringify(a), (a) => h('article', { class: 'alert-evidence', 'data-alert': a.id },
    h('h3', null, `${t(`kind_${a.kind}`)} · ${a.deviceId ?? ''} · ${when(a.detectedAt)}`),
    pictures(a),
    a.evidence.scores ? scoreBars(t('classScores', { v: a.modelVersion ?? '' }), a.evidence.scores, (k) => t(`label_${k}`)) : null,
    a.commands.length ? speakerLog(a) : null));
  const photos = h('div', { class: 'photos', id: 'd-files' });
  const figures = keyedRows((f: EvidenceFile) => f.id, (f) => JSON.stringify(f), (f) => fileFigure(f, ctx));
  const records = h('ul', { class: 'sensor-records', id: 'd-records' });
  const recordRows = keyedRows((r: SensorRecord) => r.alertId, (r) => JSON.stringify(r), (r) => sensorRecord(r, ctx));
  return (next) => {
    ctx = next;
    const files = ctx.evidence?.files ?? [];
    const recs = ctx.evidence?.sensorRecords ?? [];
    place(photos, ...figures(files));
    place(records, ...recordRows(recs));
    place(el, title, ...alerts(ctx.detail.alerts as AlertEvidence[]), files.length ? photos : null, recs.length ? records : null);
    return el;
  };
}

function pictures(a: AlertEvidence): HTMLElement | null {
  const e = a.evidence;
  if (a.kind === 'noise' && e.levels?.length && e.limit) {
    const pts = (i: 1 | 2) => e.levels!.map((l) => [new Date(l[0]).getTime(), l[i]] as [number, number]);
    return h('div', null,
      lineChart({
        title: t('laeqOverTime', { laeq: e.laeq ?? '', limit: e.limit.laeq }),
        yUnit: 'dB(A)',
        series: [{ label: 'LAeq', color: '#0050b3', points: pts(1) }, { label: 'LAmax', color: '#6b6b6b', points: pts(2), dash: '4 4' }],
        refs: [{ y: e.limit.laeq, label: t('limitLine', { v: e.limit.laeq, p: e.limit.period ? t(`period_${e.limit.period}`) : '' }), color: '#c00000' }],
      }));
  }
  if (a.kind === 'crowding' && e.capacity) {
    const series = (e.countsPerMinute ?? []).map((n, i, all) => [new Date(a.detectedAt).getTime() - (all.length - 1 - i) * 60_000, n] as [number, number]);
    return h('div', null,
      gauge({ title: t('peopleNow'), value: e.count ?? 0, limit: e.capacity, unit: t('people'), limitLabel: t('capacity') }),
      series.length ? lineChart({ title: t('peopleOverTime'), yUnit: t('people'), yMin: 0, series: [{ label: t('people'), color: '#0050b3', points: series }], refs: [{ y: e.capacity, label: `${t('capacity')} ${e.capacity}`, color: '#c00000' }] }) : null);
  }
  if (a.kind === 'fishing') return fishingTrack(a);
  if (a.kind === 'inspection' && e.findings) {
    return h('div', { class: 'inspection-findings' },
      h('p', null, `${t('findings')} · #${e.inspectionNumber ?? ''}`),
      h('ol', null, e.findings.map((f) => h('li', { class: f.compliant ? 'ok' : 'bad' }, `${f.compliant ? '✓' : '✗'} ${f.check}${f.note ? ` — ${f.note}` : ''}`))),
      e.note ? h('p', null, `${t('note')}: ${e.note}`) : null);
  }
  if (a.kind === 'smoke' && e.readings?.length) return smokeCharts(a);
  if (a.kind === 'intrusion') return intrusionFacts(a);
  return null;
}

/** The detector's readings before the alarm: obscuration against the alarm and clear levels, temperature against the heat thresholds. */
function smokeCharts(a: AlertEvidence): HTMLElement {
  const e = a.evidence;
  const th = e.thresholds ?? {};
  const pts = (i: 1 | 2) => e.readings!.map((r) => [new Date(r[0]).getTime(), r[i]] as [number, number]);
  return h('div', null,
    lineChart({
      title: t('smokeObscuration', { on: th.alarmObscuration ?? '', off: th.clearObscuration ?? '' }),
      yUnit: '%/m', yMin: 0,
      series: [{ label: t('kind_smoke'), color: '#6b6b6b', points: pts(1) }],
      refs: th.alarmObscuration !== undefined ? [{ y: th.alarmObscuration, label: t('alarmLine', { v: th.alarmObscuration }), color: '#c00000' }] : [],
    }),
    lineChart({
      title: t('smokeTemperature', { fixed: th.fixedTempC ?? '', ror: th.rateOfRiseCPerMin ?? '' }),
      yUnit: '°C',
      series: [{ label: '°C', color: '#d97706', points: pts(2) }],
      refs: [],
    }),
    e.basis ? h('p', null, h('strong', null, t(`smokeBasis_${e.basis}`))) : null);
}

/** Where the person was, how long, and what the loudspeaker did. */
function intrusionFacts(a: AlertEvidence): HTMLElement {
  const e = a.evidence;
  const since = e.warnedAt ? Math.round((new Date(a.detectedAt).getTime() - new Date(e.warnedAt).getTime()) / 1000) : null;
  const warning = e.warning === 'no_speaker' ? t('intrusionNoSpeaker') : since !== null ? t('intrusionWarned', { s: since }) : '';
  return h('figure', { class: 'chart-box intrusion' },
    h('p', null, h('strong', null, t('intrusionTitle', { s: e.atEdgeS ?? '?', m: e.nearestM ?? e.waterlineM ?? '?' }))),
    h('p', null, warning, e.warning === 'speaker_busy' ? ` (${t('intrusionBusy')})` : ''),
    h('figcaption', null, e.closureRule ? `${t('closureRule')}: ${localName(e.closureRule.name, e.closureRule.nameZh)}` : '', e.snapshot ? ` · ${t('snapshot')} ${e.snapshot}` : ''));
}

/** The track as a picture: distance to the water, how long the person stayed, when the loudspeaker warned and whether it worked. */
function fishingTrack(a: AlertEvidence): HTMLElement {
  const e = a.evidence;
  const W = 640;
  const dwell = Math.max(1, e.dwellS ?? 1);
  const start = new Date(a.detectedAt).getTime() - dwell * 1000;
  const X = (ms: number) => 40 + Math.min(1, Math.max(0, (ms - start) / (dwell * 1000))) * (W - 80);
  const shore = Math.min(10, e.waterlineM ?? 0);
  return h('figure', { class: 'chart-box' },
    s('svg', { viewBox: `0 0 ${W} 170`, class: 'chart', role: 'img', 'aria-label': t('trackTitle', { min: Math.round(dwell / 60), m: e.waterlineM ?? '' }) },
      s('rect', { x: 0, y: 120, width: W, height: 50, fill: '#a7d3f5' }),
      s('text', { x: 8, y: 160, class: 'tick' }, t('water')),
      s('line', { x1: 40, x2: W - 40, y1: 90, y2: 90, stroke: '#333', 'stroke-width': 6, 'stroke-linecap': 'round' }),
      s('text', { x: 40, y: 80, class: 'tick' }, t('firstSeen')),
      s('text', { x: W - 40, y: 80, 'text-anchor': 'end', class: 'tick' }, `${t('alert')} ${Math.round(dwell / 60)} min`),
      a.commands.map((c) => s('g', null,
        s('circle', { cx: X(new Date(c.sentAt).getTime()), cy: 90, r: 12, fill: c.effect?.fell ? '#1a7f37' : '#d97706' }),
        s('text', { x: X(new Date(c.sentAt).getTime()), y: 96, 'text-anchor': 'middle', fill: '#fff', 'font-size': 16, 'font-weight': 700 }, '喇'))),
      s('line', { x1: W / 2, x2: W / 2, y1: 100, y2: 120 - shore * 2, stroke: '#c00000', 'stroke-width': 3 }),
      s('text', { x: W / 2 + 8, y: 112, fill: '#c00000', class: 'ref' }, t('fromWater', { m: e.waterlineM ?? '?' }))),
    h('figcaption', null, t('trackTitle', { min: Math.round(dwell / 60), m: e.waterlineM ?? '' }), ` · ${t('rodScore')} ${Math.round((e.rodScoreMean ?? 0) * 100)}%`,
      e.snapshot ? ` · ${t('snapshot')} ${e.snapshot}` : ''));
}

function speakerLog(a: AlertEvidence): HTMLElement {
  return h('ul', { class: 'speaker-log', 'aria-label': t('speakerTitle') }, a.commands.map((c) =>
    h('li', null, `${when(c.sentAt)} ${c.payload?.clip ? t(`clip_${c.payload.clip}`) : c.name} · ${c.ackedAt ? t('acked') : t('notAcked')} · `,
      c.effect
        ? h('strong', { class: c.effect.fell ? 'ok' : 'warn' }, c.effect.fell ? t('effectYes', { b: c.effect.before, a: c.effect.after }) : t('effectNo', { b: c.effect.before, a: c.effect.after }))
        : h('span', { class: 'muted' }, t('effectPending')))));
}

type EvidenceFile = NonNullable<CaseContext['evidence']>['files'][number];
type SensorRecord = NonNullable<CaseContext['evidence']>['sensorRecords'][number];

function fileFigure(f: EvidenceFile, ctx: CaseContext): HTMLElement {
  const fig = h('figure', { class: 'photo', 'data-sha256': f.sha256 },
    h('figcaption', null, `${f.filename ?? f.contentType} · ${when(f.uploadedAt)} · ${person(ctx.detail, f.uploadedBy)}`, h('br'), h('code', { title: 'SHA-256' }, `${f.sha256.slice(0, 16)}…`)));
  // Neither the uploader nor a collector reviews the item: the server refuses them (SELF_REVIEW, COLLECTOR_REVIEW).
  const mine = f.uploadedBy === state.user?.id || f.uploadedBy === state.user?.username || (f.collectors ?? []).includes(state.user?.id ?? '');
  if (f.capturePlaceReason) fig.append(h('p', { class: 'muted' }, t('capturePlaceReason', { r: f.capturePlaceReason })));
  if (!f.valid) fig.append(h('p', { class: 'warn' }, f.problemCodes.map((c) => t(`evf_${c}`)).join('；')));
  if (!f.valid && !mine && ['officer', 'team_lead', 'reviewer'].includes(state.user!.role) && f.problemCodes.includes('not_reviewed')) {
    fig.append(h('button', { type: 'button', class: 'secondary', 'data-review': f.id, onclick: () => void ctx.act({ kind: 'file-review', evidenceId: f.id }) }, t('reviewFile')));
  }
  if (f.contentType.startsWith('image/')) {
    void blobUrl(`/api/v1/cases/${ctx.detail.id}/evidence/${f.id}`).then((url) => fig.prepend(h('img', { src: url, alt: f.description ?? f.filename ?? t('photo'), loading: 'lazy' }))).catch(() => undefined);
  }
  return fig;
}

function sensorRecord(r: SensorRecord, ctx: CaseContext): HTMLElement {
  const canReview = ['officer', 'team_lead', 'reviewer'].includes(state.user!.role);
  return h('li', { 'data-alert': r.alertId },
    h('span', { class: r.valid ? 'ok' : 'warn' }, r.valid ? '✔ ' : '✖ '),
    `${t(`kind_${r.kind}`)} ${r.deviceId ?? ''} ${when(r.measuredAt)} — ${r.valid ? t('validEvidence') : r.problemCodes.map((c) => t(`evs_${c}`, { device: r.deviceId ?? '', until: date(r.calibrationValidUntil), on: date(r.measuredOn) })).join('；')}`,
    !r.valid && canReview && r.problemCodes.includes('not_reviewed')
      ? h('button', { type: 'button', class: 'secondary', onclick: () => void ctx.act({ kind: 'sensor-review', alertId: r.alertId }) }, t('reviewRecord'))
      : null);
}

/** A photo from the tablet's camera, queued like every other action. */
export function photoForm(ctx: CaseContext): HTMLElement {
  const input = h('input', { type: 'file', id: 'd-file', name: 'photo', accept: 'image/*', capture: 'environment', required: true, 'aria-label': t('takePhoto') });
  const preview = h('div', { class: 'preview' });
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    mount(preview, f ? h('img', { src: URL.createObjectURL(f), alt: t('photoPreview') }) : null);
  });
  const description = h('input', { name: 'description', id: 'd-photo-desc', maxLength: 1000, placeholder: t('photoDescription'), 'aria-label': t('photoDescription') });
  const placeReason = h('input', { name: 'placeReason', id: 'd-photo-place', maxLength: 500, placeholder: t('photoPlaceReason'), 'aria-label': t('photoPlaceReason') });
  const form = h('form', { id: 'd-upload', class: 'panel photo-form' },
    h('h2', null, t('photoTitle')),
    h('label', { class: 'camera-button', for: 'd-file' }, t('takePhoto')),
    input, preview, description, placeReason,
    h('button', { type: 'submit', class: 'primary big' }, t('attachPhoto')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = input.files?.[0];
    if (!f) return;
    const desc = description.value.trim();
    const away = placeReason.value.trim();
    const blob = f.slice(0, f.size, f.type || 'image/jpeg');
    // What makes the photo count as evidence: type, capture time and place, the officers who collected it.
    const capturedAt = new Date(Math.min(f.lastModified || Date.now(), Date.now())).toISOString();
    const second = ctx.detail.presence?.secondOfficer;
    const collectors = [state.user!.id, ...(second && second !== state.user!.id ? [second] : [])].join(',');
    void locate().then((where) => ctx.act({
      kind: 'evidence', blob, filename: safeName(f.name), description: desc || undefined,
      meta: { type: 'photo', capturedAt, collectors, ...(where ? { lat: where.lat, lon: where.lon } : {}), ...(away ? { placeReason: away } : {}) },
    })).then((o) => {
      if (o.status !== 'refused') {
        form.reset();
        mount(preview);
      }
    });
  });
  return form;
}

/** The server takes file names without control characters or slashes. */
const safeName = (name: string): string => Array.from(name).map((c) => (c < ' ' || c === '/' || c === '\\' ? '_' : c)).join('').slice(0, 200) || 'photo.jpg';

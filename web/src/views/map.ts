import { call } from '../api/client';
import { h, mount, s } from '../dom';
import { t } from '../i18n';
import { isOpen, state, zones } from '../state';
import { ICON } from './inbox';
import type { View } from './view';

type Ring = [number, number][];
const ringOf = (geometry: unknown): Ring => (((geometry as { coordinates?: Ring[] } | null)?.coordinates?.[0] ?? []) as Ring);

/**
 * The site map drawn from the zones' GeoJSON and the devices' placements (no map tiles: it works
 * offline and outdoors at high contrast); open cases are markers on their zone; tap one to open it.
 */
export function mapView(): View {
  const box = h('div', { class: 'map-box', id: 'site-map' }, h('p', { class: 'muted' }, t('loading')));
  const el = h('section', { class: 'map' }, h('h1', null, t('mapTitle')), box,
    h('p', { class: 'legend-row' },
      h('span', { class: 'key zone-ban' }), t('legendBan'), ' ', h('span', { class: 'key zone-park' }), t('legendZone'), ' ',
      h('span', { class: 'key dev' }), t('legendDevice'), ' ', h('span', { class: 'key alert' }), t('legendCase')));
  let devices: { id: string; kind: string; zoneId: string; placement: unknown; online?: boolean }[] = [];

  const draw = async () => {
    const zs = await zones();
    const rings = zs.map((z) => ringOf(z.geometry)).filter((r) => r.length);
    const pts = [...rings.flat(), ...devices.map((d) => d.placement as { lon?: number; lat?: number } | null).filter((p): p is { lon: number; lat: number } => !!p?.lon).map((p) => [p.lon, p.lat] as [number, number])];
    if (!pts.length) return mount(box, h('p', { class: 'muted' }, t('noZones')));
    const lon0 = Math.min(...pts.map((p) => p[0])), lon1 = Math.max(...pts.map((p) => p[0]));
    const lat0 = Math.min(...pts.map((p) => p[1])), lat1 = Math.max(...pts.map((p) => p[1]));
    const k = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180); // metres east per degree shrink with latitude
    const W = 1000, pad = 40;
    const span = Math.max((lon1 - lon0) * k, lat1 - lat0) || 0.001;
    const scale = (W - 2 * pad) / span;
    const H = Math.max(300, (lat1 - lat0) * scale + 2 * pad);
    const X = (lon: number) => pad + (lon - lon0) * k * scale;
    const Y = (lat: number) => H - pad - (lat - lat0) * scale;
    const centre = (r: Ring) => [r.reduce((a, p) => a + p[0], 0) / r.length, r.reduce((a, p) => a + p[1], 0) / r.length] as const;
    const open = [...state.cases.values()].filter(isOpen);
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'site-map', role: 'img', 'aria-label': t('mapTitle') },
      s('defs', null, s('pattern', { id: 'ban', width: 12, height: 12, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        s('rect', { width: 12, height: 12, fill: '#cfe8ff' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 12, stroke: '#0050b3', 'stroke-width': 4 }))),
      zs.map((z) => {
        const r = ringOf(z.geometry);
        if (!r.length) return null;
        const [cx, cy] = centre(r);
        return s('g', { class: 'zone', 'data-zone': z.id },
          s('polygon', { points: r.map(([lon, lat]) => `${X(lon).toFixed(1)},${Y(lat).toFixed(1)}`).join(' '), fill: z.fishingBan ? 'url(#ban)' : '#d9f2d9', stroke: '#0b3d2e', 'stroke-width': 3 }),
          s('text', { x: X(cx), y: Y(cy) - 34, 'text-anchor': 'middle', class: 'zone-label' }, z.name),
          s('text', { x: X(cx), y: Y(cy) - 14, 'text-anchor': 'middle', class: 'zone-sub' }, `${t('noiseClass')} ${z.noiseClass}${z.capacity ? ` · ${t('capacity')} ${z.capacity}` : ''}${z.fishingBan ? ` · ${t('fishingBan')}` : ''}`));
      }),
      devices.map((d) => {
        const p = d.placement as { lon?: number; lat?: number } | null;
        if (!p?.lon || !p.lat) return null;
        return s('g', { class: 'device' },
          s('circle', { cx: X(p.lon), cy: Y(p.lat), r: 9, fill: d.online === false ? '#888' : '#0b3d2e', stroke: '#fff', 'stroke-width': 3 }, s('title', null, `${d.id} (${d.kind})`)));
      }),
      open.map((c) => {
        const z = zs.find((x) => x.id === c.zoneId);
        const r = z ? ringOf(z.geometry) : [];
        if (!r.length) return null;
        const [cx, cy] = centre(r);
        const sameZone = open.filter((o) => o.zoneId === c.zoneId);
        const j = sameZone.indexOf(c);
        const x = X(cx) + (j - (sameZone.length - 1) / 2) * 60, y = Y(cy) + 30;
        const a = s('a', { href: `#/case/${c.id}`, class: ['marker', state.fresh.has(c.id) && 'fresh'], 'data-id': c.id, 'aria-label': `${t(`kind_${c.kind}`)} #${c.number} ${t(`state_${c.state}`)}` },
          s('circle', { cx: x, cy: y, r: 26, fill: '#c00000', stroke: '#fff', 'stroke-width': 4 }),
          s('text', { x, y: y + 9, 'text-anchor': 'middle', 'font-size': 26, fill: '#fff' }, ICON[c.kind] ?? '!'));
        return a;
      }));
    mount(box, svg);
  };

  const role = state.user?.role;
  void (role === 'admin' || role === 'operator' ? call('GET /api/v1/devices').then((d) => { devices = d; }) : Promise.resolve())
    .catch(() => undefined).then(draw).catch(() => mount(box, h('p', { class: 'error' }, t('offlineNoCopy'))));
  return { el, update: (c) => { if (c.type === 'cases' || c.type === 'case.opened') void draw().catch(() => undefined); } };
}

import { localName } from '../format';
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

  type Zone = Awaited<ReturnType<typeof zones>>[number];
  const centre = (r: Ring) => [r.reduce((a, p) => a + p[0], 0) / r.length, r.reduce((a, p) => a + p[1], 0) / r.length] as const;
  const placementOf = (d: (typeof devices)[number]) => {
    const p = d.placement as { lon?: number; lat?: number } | null;
    return p?.lon && p.lat ? ([p.lon, p.lat] as [number, number]) : null;
  };

  /** One site (the park, the riverbank): its zones fitted to the frame, devices, open cases as markers. */
  const site = (key: string, zs: Zone[]) => {
    const name = localName(key, zs[0]?.siteNameZh);
    const ids = new Set(zs.map((z) => z.id));
    const devs = devices.filter((d) => ids.has(d.zoneId));
    const pts = [...zs.flatMap((z) => ringOf(z.geometry)), ...devs.map(placementOf).filter((p): p is [number, number] => p !== null)];
    if (!pts.length) return null;
    const lon0 = Math.min(...pts.map((p) => p[0])), lon1 = Math.max(...pts.map((p) => p[0]));
    const lat0 = Math.min(...pts.map((p) => p[1])), lat1 = Math.max(...pts.map((p) => p[1]));
    const k = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180); // a degree of longitude is shorter than one of latitude
    const W = 800, pad = 70;
    const w = (lon1 - lon0) * k || 0.001, hgt = lat1 - lat0 || 0.001;
    const scale = Math.min((W - 2 * pad) / w, (W * 0.75 - 2 * pad) / hgt);
    const H = hgt * scale + 2 * pad + 40;
    const X = (lon: number) => W / 2 + (lon - (lon0 + lon1) / 2) * k * scale;
    const Y = (lat: number) => (H + 40) / 2 - (lat - (lat0 + lat1) / 2) * scale;
    const open = [...state.cases.values()].filter((c) => isOpen(c) && ids.has(c.zoneId));
    return h('figure', { class: 'site', 'data-site': key },
      s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'site-map', role: 'img', 'aria-label': `${t('mapTitle')}: ${name}` },
        s('defs', null, s('pattern', { id: 'ban', width: 12, height: 12, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
          s('rect', { width: 12, height: 12, fill: '#cfe8ff' }), s('line', { x1: 0, y1: 0, x2: 0, y2: 12, stroke: '#0050b3', 'stroke-width': 4 }))),
        zs.map((z) => {
          const r = ringOf(z.geometry);
          if (!r.length) return null;
          const top = Math.min(...r.map((p) => Y(p[1])));
          return s('g', { class: 'zone', 'data-zone': z.id },
            s('polygon', { points: r.map(([lon, lat]) => `${X(lon).toFixed(1)},${Y(lat).toFixed(1)}`).join(' '), fill: z.fishingBan ? 'url(#ban)' : '#d9f2d9', stroke: '#0b3d2e', 'stroke-width': 4 }),
            s('text', { x: W / 2, y: Math.max(24, top - 30), 'text-anchor': 'middle', class: 'zone-label' }, localName(z.name, z.nameZh)),
            s('text', { x: W / 2, y: Math.max(46, top - 8), 'text-anchor': 'middle', class: 'zone-sub' }, `${t('noiseClass')} ${z.noiseClass}${z.capacity ? ` · ${t('capacity')} ${z.capacity}` : ''}${z.fishingBan ? ` · ${t('fishingBan')}` : ''}`));
        }),
        devs.map((d) => {
          const p = placementOf(d);
          if (!p) return null;
          return s('g', { class: 'device' },
            s('circle', { cx: X(p[0]), cy: Y(p[1]), r: 10, fill: d.online === false ? '#888' : '#0b3d2e', stroke: '#fff', 'stroke-width': 3 }, s('title', null, `${d.id} (${d.kind})`)));
        }),
        open.map((c) => {
          const z = zs.find((x) => x.id === c.zoneId)!;
          const [cx, cy] = centre(ringOf(z.geometry));
          const same = open.filter((o) => o.zoneId === c.zoneId);
          const x = X(cx) + (same.indexOf(c) - (same.length - 1) / 2) * 70, y = Y(cy);
          return s('a', { href: `#/case/${c.id}`, class: ['marker', state.fresh.has(c.id) && 'fresh'], 'data-id': c.id, 'aria-label': `${t(`kind_${c.kind}`)} #${c.number} ${t(`state_${c.state}`)}` },
            s('circle', { cx: x, cy: y, r: 30, fill: '#c00000', stroke: '#fff', 'stroke-width': 4 }),
            s('text', { x, y: y + 10, 'text-anchor': 'middle', 'font-size': 28, 'font-weight': 800, fill: '#fff' }, ICON[c.kind] ?? '!'));
        })),
      h('figcaption', null, name));
  };

  // Drawn again only when a marker would change: a marker being tapped stays while other cases change.
  let drawn = '';
  const draw = async () => {
    const zs = await zones();
    const sites = new Map<string, Zone[]>();
    for (const z of zs) sites.set(z.siteName, [...(sites.get(z.siteName) ?? []), z]);
    if (!sites.size) return mount(box, h('p', { class: 'muted' }, t('noZones')));
    const shows = JSON.stringify([zs, devices, [...state.cases.values()].filter(isOpen).map((c) => [c.id, c.kind, c.number, c.state, c.zoneId, state.fresh.has(c.id)])]);
    if (shows === drawn) return;
    drawn = shows;
    mount(box, h('div', { class: 'sites' }, [...sites].map(([name, list]) => site(name, list))));
  };

  const role = state.user?.role;
  void (role === 'admin' || role === 'operator' ? call('GET /api/v1/devices').then((d) => { devices = d; }) : Promise.resolve())
    .catch(() => undefined).then(draw).catch(() => mount(box, h('p', { class: 'error' }, t('offlineNoCopy'))));
  return { el, update: (c) => { if (c.type === 'cases' || c.type === 'case.opened') void draw().catch(() => undefined); } };
}

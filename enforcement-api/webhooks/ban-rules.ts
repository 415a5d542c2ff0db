import type { BanGeometry, BanNotice } from '../../contract/http/webhooks.js';
import type { NewZoneRule } from '../../core/repos/zone-rules.js';

/**
 * What a ban notice from the fishing-ban system means here (pure): the zones it covers — named, or
 * those whose polygon meets its geometry — and one `fishing` zone rule per zone for its dates, so the
 * detectors follow the ban calendar (core/domain/zone-rules.ts).
 */

export const BAN_SOURCE = 'fishing-ban';

/** Rule ids of a notice: `fishing-ban:<notice>@<zone>`; `@` never occurs in a notice id, so one notice's prefix is never another's. */
export const banRulePrefix = (noticeId: string) => `${BAN_SOURCE}:${noticeId}@`;

/** A ban or a closed stretch outranks an open stretch, and both outrank ordinary rules. */
const PRIORITY: Record<BanNotice['kind'], number> = { ban_season: 100, closed_stretch: 100, open_stretch: 50 };
const KIND_ZH: Record<BanNotice['kind'], string> = { ban_season: '禁渔期', closed_stretch: '禁渔水域', open_stretch: '开放水域' };

type Point = readonly [number, number];
type Ring = readonly Point[];

/** Outer rings of a GeoJSON Polygon or MultiPolygon (holes are ignored: a zone inside a hole counts as covered). */
export function outerRings(geometry: unknown): Ring[] {
  const g = geometry as Partial<BanGeometry> | null;
  const ring = (r: unknown): Ring => (Array.isArray(r) ? r.filter((p): p is number[] => Array.isArray(p) && p.length >= 2).map((p) => [Number(p[0]), Number(p[1])] as const) : []);
  if (g?.type === 'Polygon' && Array.isArray(g.coordinates)) return [ring(g.coordinates[0])].filter((r) => r.length >= 3);
  if (g?.type === 'MultiPolygon' && Array.isArray(g.coordinates)) return g.coordinates.map((p) => ring(p[0])).filter((r) => r.length >= 3);
  return [];
}

function inside(p: Point, ring: Ring): boolean {
  let odd = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
const onSegment = (p: Point, a: Point, b: Point) => Math.min(a[0], b[0]) <= p[0] && p[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= p[1] && p[1] <= Math.max(a[1], b[1]);

function segmentsMeet(a: Point, b: Point, c: Point, d: Point): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (d1 === 0 && onSegment(a, c, d)) || (d2 === 0 && onSegment(b, c, d)) || (d3 === 0 && onSegment(c, a, b)) || (d4 === 0 && onSegment(d, a, b));
}

/** Whether two rings share any point (overlap, containment or touching edges). */
export function ringsMeet(a: Ring, b: Ring): boolean {
  if (a.some((p) => inside(p, b)) || b.some((p) => inside(p, a))) return true;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      if (segmentsMeet(a[i]!, a[(i + 1) % a.length]!, b[j]!, b[(j + 1) % b.length]!)) return true;
    }
  }
  return false;
}

/** The zones a notice covers, or the unknown zone ids it names. A geometry outside every zone covers none (not an error). */
export function zonesCovered(notice: Pick<BanNotice, 'zoneIds' | 'geometry'>, zones: readonly { id: string; geometry: unknown }[]): { zoneIds: string[] } | { unknown: string[] } {
  const out = new Set<string>();
  if (notice.zoneIds) {
    const known = new Set(zones.map((z) => z.id));
    const unknown = notice.zoneIds.filter((id) => !known.has(id));
    if (unknown.length > 0) return { unknown };
    for (const id of notice.zoneIds) out.add(id);
  }
  if (notice.geometry) {
    const rings = outerRings(notice.geometry);
    for (const z of zones) {
      const zoneRings = outerRings(z.geometry);
      if (zoneRings.some((zr) => rings.some((r) => ringsMeet(zr, r)))) out.add(z.id);
    }
  }
  return { zoneIds: [...out].sort() };
}

/** Why a notice cannot be applied (beyond its schema), or null. */
export function noticeProblem(notice: BanNotice): string | null {
  if (!notice.zoneIds && !notice.geometry) return 'a notice names zoneIds or carries a geometry';
  for (const d of [notice.from, notice.until]) {
    if (d !== null && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) return `${d} is not a date`;
  }
  if (notice.from !== null && notice.until !== null && notice.from > notice.until) return 'from is after until';
  if (notice.geometry && outerRings(notice.geometry).length === 0) return 'the geometry has no ring of at least three positions';
  return null;
}

/** The zone rules of a notice: all day, every day, from `from` to `until` (local dates, inclusive; null = open-ended). */
export function banRules(notice: BanNotice, zoneIds: readonly string[]): (NewZoneRule & { id: string; zoneId: string })[] {
  return zoneIds.map((zoneId) => ({
    id: `${banRulePrefix(notice.id)}${zoneId}`,
    zoneId,
    kind: 'fishing',
    name: `${notice.name} (${notice.kind.replace('_', ' ')}, fishing-ban system)`,
    nameZh: `${notice.name}（${KIND_ZH[notice.kind]}，禁渔平台）`,
    days: [],
    start: '00:00',
    end: '00:00',
    from: notice.from,
    until: notice.until,
    priority: PRIORITY[notice.kind],
    params: { fishingBan: notice.kind !== 'open_stretch' },
  }));
}

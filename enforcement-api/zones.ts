import type pg from 'pg';

export interface ZoneRow {
  id: string;
  name: string;
  siteId: string;
  siteName: string;
  siteNameZh: string | null;
  siteKind: string;
  streetId: string;
  streetName: string;
  streetNameZh: string | null;
  noiseClass: string;
  timezone: string;
  capacity: number | null;
  fishingBan: boolean;
  geometry: unknown;
}

export class ZoneRepository {
  constructor(private readonly pool: pg.Pool) {}

  async list(): Promise<ZoneRow[]> {
    const r = await this.pool.query<ZoneRow>(
      `SELECT z.id, z.name, z.name_zh AS "nameZh", s.id AS "siteId", s.name AS "siteName", s.name_zh AS "siteNameZh", s.kind AS "siteKind", st.id AS "streetId",
         st.name AS "streetName", st.name_zh AS "streetNameZh", z.noise_class AS "noiseClass", z.timezone, z.capacity, z.fishing_ban AS "fishingBan",
         z.geometry
       FROM zones z JOIN sites s ON s.id = z.site_id JOIN streets st ON st.id = s.street_id ORDER BY z.id`,
    );
    return r.rows;
  }

  async exists(id: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM zones WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  /** The zone's timezone (whose calendar its dates are on), or undefined for no such zone. */
  async timezoneOf(id: string): Promise<string | undefined> {
    return (await this.pool.query<{ timezone: string }>('SELECT timezone FROM zones WHERE id = $1', [id])).rows[0]?.timezone;
  }
}

import type pg from 'pg';
import type { Reading } from '../contract/mqtt/telemetry.js';

/**
 * Zone leases of inference workers (migration 22) and what a worker reads when it takes a zone over:
 * the zone's stored readings and how far each device's readings were judged (migration 24). Every time is the database's, so workers' clocks do not matter.
 */
/** One device stream judged up to a time (its own clock). */
export interface JudgedMark {
  zoneId: string;
  deviceId: string;
  stream: string;
  judgedTo: Date;
}

/**
 * Readings of one device stream that a worker saw published while another worker held the zone:
 * `n` of them (duplicates left out) between `from` and `to` (the device's own clock).
 */
export interface PassedOver {
  deviceId: string;
  stream: Reading['stream'];
  from: Date;
  to: Date;
  n: number;
}

/** How much of one device stream the store holds (`deviceId|stream` keyed in `storedProgress`). */
export interface StoredProgress {
  newest: Date;
  /** The highest seq stored (a device's seq grows with every reading it sends). */
  newestSeq: number;
  /** Readings up to the stream's cutoff (all when it has none). */
  settled: number;
  /** Readings within the stream's passed-over span. */
  spanned: number;
}

const STREAM_TABLES = { noise: 'noise_readings', people: 'people_counts', tracks: 'track_observations', smoke: 'smoke_readings' } as const;

export class LeaseRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Announces the worker for `leaseS`; returns how many workers are alive (itself included). */
  async heartbeat(worker: string, leaseS: number): Promise<number> {
    await this.pool.query(
      `INSERT INTO inference_workers (id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [worker, leaseS],
    );
    await this.pool.query(`DELETE FROM inference_workers WHERE expires_at < now() - interval '1 day'`);
    const r = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM inference_workers WHERE expires_at > now()`);
    return r.rows[0]?.n ?? 1;
  }

  async leave(worker: string): Promise<void> {
    await this.pool.query(`DELETE FROM inference_leases WHERE owner = $1`, [worker]);
    await this.pool.query(`DELETE FROM inference_workers WHERE id = $1`, [worker]);
  }

  async zones(): Promise<string[]> {
    return (await this.pool.query<{ id: string }>(`SELECT id FROM zones ORDER BY id`)).rows.map((r) => r.id);
  }

  /** Zones whose lease is held (unexpired) by a worker. */
  async held(): Promise<Map<string, string>> {
    const r = await this.pool.query<{ zone_id: string; owner: string }>(`SELECT zone_id, owner FROM inference_leases WHERE expires_at > now()`);
    return new Map(r.rows.map((x) => [x.zone_id, x.owner]));
  }

  /** Extends the worker's leases; returns the zones still its own (a lease taken over is lost). */
  async renew(worker: string, zones: readonly string[], leaseS: number): Promise<string[]> {
    if (zones.length === 0) return [];
    const r = await this.pool.query<{ zone_id: string }>(
      `UPDATE inference_leases SET expires_at = now() + make_interval(secs => $3) WHERE owner = $1 AND zone_id = ANY($2::text[]) RETURNING zone_id`,
      [worker, zones, leaseS],
    );
    return r.rows.map((x) => x.zone_id);
  }

  /** Takes a zone that has no lease or whose lease expired; true when the worker now holds it. */
  async acquire(worker: string, zone: string, leaseS: number): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO inference_leases (zone_id, owner, expires_at) VALUES ($2, $1, now() + make_interval(secs => $3))
       ON CONFLICT (zone_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, taken_at = now(),
         takeovers = inference_leases.takeovers + (inference_leases.owner <> EXCLUDED.owner)::int
       WHERE inference_leases.expires_at < now() OR inference_leases.owner = EXCLUDED.owner
       RETURNING zone_id`,
      [worker, zone, leaseS],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async release(worker: string, zones: readonly string[]): Promise<void> {
    if (zones.length === 0) return;
    await this.pool.query(`DELETE FROM inference_leases WHERE owner = $1 AND zone_id = ANY($2::text[])`, [worker, zones]);
  }

  /**
   * How far each of the zone's devices' streams has been judged (migration 24), keyed
   * `deviceId|stream`, in ms of the device's own clock.
   */
  async judged(zone: string): Promise<Map<string, number>> {
    const r = await this.pool.query<{ device_id: string; stream: string; judged_to: Date }>(
      `SELECT device_id, stream, judged_to FROM inference_judged WHERE zone_id = $1`,
      [zone],
    );
    return new Map(r.rows.map((x) => [`${x.device_id}|${x.stream}`, x.judged_to.getTime()]));
  }

  /** Records in one statement that these devices' streams were judged up to `judgedTo` (never moves back). */
  async markJudged(worker: string, rows: readonly JudgedMark[]): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO inference_judged (device_id, stream, zone_id, judged_to, worker)
       SELECT d, s, z, t, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(d, s, z, t)
       ON CONFLICT (device_id, stream) DO UPDATE SET zone_id = EXCLUDED.zone_id, worker = EXCLUDED.worker, updated_at = now(),
         judged_to = GREATEST(inference_judged.judged_to, EXCLUDED.judged_to)`,
      [rows.map((r) => r.deviceId), rows.map((r) => r.stream), rows.map((r) => r.zoneId), rows.map((r) => r.judgedTo), worker],
    );
  }

  /** Forgets devices' streams nobody has judged for `olderThanS` seconds (database clock). */
  async pruneJudged(olderThanS: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM inference_judged WHERE updated_at < now() - make_interval(secs => $1)`, [olderThanS]);
    return r.rowCount ?? 0;
  }

  /**
   * Commands to the zone's devices stored in the last `withinS` seconds (database clock) and not
   * acknowledged: what a worker that died may have stored without its message reaching the device.
   */
  async unackedCommands(zone: string, withinS: number): Promise<{ id: string; deviceId: string; name: string; payload: unknown }[]> {
    const r = await this.pool.query<{ id: string; device_id: string; name: string; payload: unknown }>(
      `SELECT id, device_id, name, payload FROM device_commands
       WHERE device_id IN (SELECT id FROM devices WHERE zone_id = $1) AND acked_at IS NULL AND stored_at > now() - make_interval(secs => $2)
       ORDER BY stored_at`,
      [zone, withinS],
    );
    return r.rows.map((x) => ({ id: x.id, deviceId: x.device_id, name: x.name, payload: x.payload }));
  }

  /**
   * The zone's noise, people, track and smoke readings stored since `sinceAt` (by the readings' own
   * time), in time order: what a worker taking the zone over replays.
   */
  /** The start of the period a take-over replays: `sinceS` seconds before now (database clock), fixed for the whole take-over. */
  async replayedSince(sinceS: number): Promise<Date> {
    return (await this.pool.query<{ since: Date }>(`SELECT now() - make_interval(secs => $1) AS since`, [sinceS])).rows[0]!.since;
  }

  async storedReadings(zone: string, sinceAt: Date): Promise<Reading[]> {
    const since = `$2::timestamptz`;
    const devices = `(SELECT id FROM devices WHERE zone_id = $1)`;
    const [noise, people, tracks, smoke] = await Promise.all([
      this.pool.query<{ device_id: string; ts: Date; seq: string; laeq: number; lamax: number; interval_s: number; bands: number[] }>(
        `SELECT device_id, ts, seq, laeq, lamax, interval_s, bands FROM noise_readings WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceAt],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; count: number }>(
        `SELECT device_id, ts, seq, count FROM people_counts WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceAt],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; track_id: string; dwell_s: number; waterline_m: number; rod_score: number; speed_mps: number; snapshot: string | null }>(
        `SELECT device_id, ts, seq, track_id, dwell_s, waterline_m, rod_score, speed_mps, snapshot FROM track_observations WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceAt],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; obscuration: number; temperature_c: number; rate_of_rise: number | null }>(
        `SELECT device_id, ts, seq, obscuration, temperature_c, rate_of_rise FROM smoke_readings WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceAt],
      ),
    ]);
    const out: Reading[] = [
      ...noise.rows.map((r) => ({ stream: 'noise' as const, deviceId: r.device_id, ts: r.ts, seq: Number(r.seq), payload: { ts: r.ts.toISOString(), seq: Number(r.seq), laeq: r.laeq, lamax: r.lamax, intervalS: r.interval_s, bands: r.bands } })),
      ...people.rows.map((r) => ({ stream: 'people' as const, deviceId: r.device_id, ts: r.ts, seq: Number(r.seq), payload: { ts: r.ts.toISOString(), seq: Number(r.seq), count: r.count } })),
      ...tracks.rows.map((r) => ({
        stream: 'tracks' as const,
        deviceId: r.device_id,
        ts: r.ts,
        seq: Number(r.seq),
        payload: { ts: r.ts.toISOString(), seq: Number(r.seq), id: r.track_id, dwellS: r.dwell_s, waterlineM: r.waterline_m, rodScore: r.rod_score, speedMps: r.speed_mps, ...(r.snapshot ? { snapshot: r.snapshot } : {}) },
      })),
      ...smoke.rows.map((r) => ({
        stream: 'smoke' as const,
        deviceId: r.device_id,
        ts: r.ts,
        seq: Number(r.seq),
        payload: { ts: r.ts.toISOString(), seq: Number(r.seq), obscuration: r.obscuration, temperatureC: r.temperature_c, ...(r.rate_of_rise === null ? {} : { rateOfRiseCPerMin: r.rate_of_rise }) },
      })),
    ];
    return out.sort((a, b) => a.ts.getTime() - b.ts.getTime() || a.seq - b.seq);
  }

  /**
   * How far the store has got with the zone's device streams since `sinceAt`: per
   * `deviceId|stream`, the newest reading and highest seq, how many up to the stream's cutoff, and how many within its
   * passed-over span. A worker taking the zone over polls it until what was published before has arrived.
   */
  async storedProgress(zone: string, sinceAt: Date, cutoffs: ReadonlyMap<string, Date>, spans: readonly PassedOver[]): Promise<Map<string, StoredProgress>> {
    const out = new Map<string, StoredProgress>();
    await Promise.all(
      Object.entries(STREAM_TABLES).map(async ([stream, table]) => {
        const keys = new Set<string>();
        for (const k of cutoffs.keys()) if (k.endsWith(`|${stream}`)) keys.add(k.slice(0, -stream.length - 1));
        for (const s of spans) if (s.stream === stream) keys.add(s.deviceId);
        const ids = [...keys];
        const span = (id: string) => spans.find((s) => s.deviceId === id && s.stream === stream);
        const r = await this.pool.query<{ device_id: string; newest: Date; newest_seq: string; settled: number; spanned: number }>(
          `WITH c AS (SELECT * FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]) AS c(device_id, cutoff, lo, hi))
           SELECT r.device_id, max(r.ts) AS newest, max(r.seq)::text AS newest_seq,
             count(*) FILTER (WHERE c.cutoff IS NULL OR r.ts <= c.cutoff)::int AS settled,
             count(*) FILTER (WHERE r.ts BETWEEN c.lo AND c.hi)::int AS spanned
           FROM ${table} r LEFT JOIN c USING (device_id)
           WHERE r.device_id IN (SELECT id FROM devices WHERE zone_id = $1) AND r.ts >= $2
           GROUP BY r.device_id`,
          [zone, sinceAt, ids, ids.map((id) => cutoffs.get(`${id}|${stream}`) ?? null), ids.map((id) => span(id)?.from ?? null), ids.map((id) => span(id)?.to ?? null)],
        );
        for (const x of r.rows) out.set(`${x.device_id}|${stream}`, { newest: x.newest, newestSeq: Number(x.newest_seq), settled: x.settled, spanned: x.spanned });
      }),
    );
    return out;
  }
}

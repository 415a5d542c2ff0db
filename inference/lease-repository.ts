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
   * The zone's noise, people, track and smoke readings stored since `sinceS` seconds ago (by the readings'
   * own time), in time order: what a worker taking the zone over replays.
   */
  async storedReadings(zone: string, sinceS: number): Promise<Reading[]> {
    const since = `now() - make_interval(secs => $2)`;
    const devices = `(SELECT id FROM devices WHERE zone_id = $1)`;
    const [noise, people, tracks, smoke] = await Promise.all([
      this.pool.query<{ device_id: string; ts: Date; seq: string; laeq: number; lamax: number; interval_s: number; bands: number[] }>(
        `SELECT device_id, ts, seq, laeq, lamax, interval_s, bands FROM noise_readings WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceS],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; count: number }>(
        `SELECT device_id, ts, seq, count FROM people_counts WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceS],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; track_id: string; dwell_s: number; waterline_m: number; rod_score: number; speed_mps: number; snapshot: string | null }>(
        `SELECT device_id, ts, seq, track_id, dwell_s, waterline_m, rod_score, speed_mps, snapshot FROM track_observations WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceS],
      ),
      this.pool.query<{ device_id: string; ts: Date; seq: string; obscuration: number; temperature_c: number; rate_of_rise: number | null }>(
        `SELECT device_id, ts, seq, obscuration, temperature_c, rate_of_rise FROM smoke_readings WHERE device_id IN ${devices} AND ts >= ${since}`,
        [zone, sinceS],
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
}

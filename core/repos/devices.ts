import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import { hashDeviceSecret, newSecret, verifyDeviceSecret } from '../secrets.js';

import type { DeviceContext, DeviceListItem, DevicePatch, DeviceRecord, NewDevice as NewDeviceBody } from '../../contract/http/registry.js';

export type { DeviceContext };
/** A device as stored (contract/http/registry.ts). */
export type DeviceRow = DeviceRecord;
/** A registration: the API's body, or the demo seed's (simulated devices). */
export type NewDevice = Omit<NewDeviceBody, 'kind'> & { kind: string; simulated?: boolean };

const SELECT = `SELECT d.id, d.kind, d.zone_id AS "zoneId", z.noise_class AS "noiseClass", z.timezone,
  z.capacity, z.fishing_ban AS "fishingBan", d.has_speaker AS "hasSpeaker",
  to_char(d.calibration_valid_until, 'YYYY-MM-DD') AS "calibrationValidUntil",
  d.placement_published AS "placementPublished", d.placement, d.calibration_cert AS "calibrationCert",
  d.simulated, d.created_at AS "createdAt", d.last_seen_at AS "lastSeenAt", d.online
  FROM devices d JOIN zones z ON z.id = d.zone_id`;

/** The device registry: provisioning, credentials and placement. */
export class DeviceRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Registers a device and returns its one-time secret (only the hash is stored). */
  async create(d: NewDevice): Promise<{ device: DeviceRow; secret: string }> {
    const secret = newSecret();
    const id = d.id ?? `dev-${randomUUID().slice(0, 8)}`;
    await this.pool.query(
      `INSERT INTO devices (id, zone_id, kind, secret_hash, has_speaker, placement, placement_published,
         calibration_cert, calibration_valid_until, simulated)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, d.zoneId, d.kind, hashDeviceSecret(secret), d.hasSpeaker ?? false, JSON.stringify(d.placement ?? null),
        d.placementPublished ?? false, d.calibrationCert ?? null, d.calibrationValidUntil ?? null, d.simulated ?? false],
    );
    const device = await this.get(id);
    if (!device) throw new Error(`device ${id} vanished after insert`);
    return { device, secret };
  }

  /**
   * Replaces a device's secret. For `graceS` seconds the old secret still logs in too (the device is
   * updated in the field meanwhile); with 0 it stops working at the next connect.
   */
  async rotateSecret(id: string, graceS = 0): Promise<{ secret: string; previousValidUntil: Date | null } | null> {
    const secret = newSecret();
    const r = await this.pool.query<{ until: Date | null }>(
      `UPDATE devices SET
         previous_secret_hash = CASE WHEN $3::int > 0 THEN secret_hash END,
         previous_secret_until = CASE WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int) END,
         secret_hash = $2
       WHERE id = $1 RETURNING previous_secret_until AS until`,
      [id, hashDeviceSecret(secret), graceS],
    );
    const row = r.rows[0];
    return row ? { secret, previousValidUntil: row.until } : null;
  }

  /**
   * The current secret, or the previous one within its grace period: the device's kind (what it may
   * publish) and the stored hash the secret matched (its `credential`, checked again while it stays
   * connected: credentialsInForce), or false.
   */
  async verify(id: string, secret: string): Promise<{ kind: string; credential: string } | false> {
    const r = await this.pool.query<{ h: string; previous: string | null; kind: string }>(
      `SELECT secret_hash AS h, CASE WHEN previous_secret_until > now() THEN previous_secret_hash END AS previous, kind FROM devices WHERE id = $1`,
      [id],
    );
    const row = r.rows[0];
    if (!row) return false;
    if (verifyDeviceSecret(secret, row.h)) return { kind: row.kind, credential: row.h };
    if (row.previous !== null && verifyDeviceSecret(secret, row.previous)) return { kind: row.kind, credential: row.previous };
    return false;
  }

  /**
   * The secret hashes that log in now, per device (the current one, and the previous one within its
   * grace period); a device not registered has no entry.
   */
  async credentialsInForce(ids: readonly string[]): Promise<Map<string, string[]>> {
    const r = await this.pool.query<{ id: string; h: string; previous: string | null }>(
      `SELECT id, secret_hash AS h, CASE WHEN previous_secret_until > now() THEN previous_secret_hash END AS previous FROM devices WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(r.rows.map((row) => [row.id, row.previous === null ? [row.h] : [row.h, row.previous]]));
  }

  /** Calibration and placement; fields left out stay as they are. Null when there is no such device. */
  async update(id: string, p: DevicePatch): Promise<DeviceRow | null> {
    const r = await this.pool.query(
      `UPDATE devices SET placement = coalesce($2::jsonb, placement), placement_published = coalesce($3, placement_published),
         calibration_cert = coalesce($4, calibration_cert), calibration_valid_until = coalesce($5::date, calibration_valid_until)
       WHERE id = $1`,
      [id, p.placement === undefined ? null : JSON.stringify(p.placement), p.placementPublished ?? null, p.calibrationCert ?? null, p.calibrationValidUntil ?? null],
    );
    return r.rowCount ? this.get(id) : null;
  }

  async get(id: string): Promise<DeviceRow | null> {
    const r = await this.pool.query<DeviceRow>(`${SELECT} WHERE d.id = $1`, [id]);
    return r.rows[0] ?? null;
  }

  /** Every registered device id (ingest loads them at start rather than looking each one up). */
  async ids(): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM devices')).rows.map((r) => r.id);
  }

  async list(): Promise<DeviceRow[]> {
    return (await this.pool.query<DeviceRow>(`${SELECT} ORDER BY d.id`)).rows;
  }

  /**
   * Every device with its health: the newest status reading (one index probe per device), `silent` when
   * nothing arrived for `silentS` since the last reading (or since registration, never seen), and
   * `lowBattery` at or below `lowBatteryPct`.
   */
  async listWithHealth(health: { silentS: number; lowBatteryPct: number }): Promise<(DeviceRow & DeviceListItem)[]> {
    const r = await this.pool.query<DeviceRow & DeviceListItem>(
      `SELECT q.*, s.battery, s.signal, s."statusAt",
         coalesce(q."lastSeenAt", q."createdAt") < now() - make_interval(secs => $1::int) AS silent,
         coalesce(s.battery <= $2::real, false) AS "lowBattery"
       FROM (${SELECT}) q
       LEFT JOIN LATERAL (SELECT battery, signal, ts AS "statusAt" FROM device_status WHERE device_id = q.id ORDER BY ts DESC LIMIT 1) s ON true
       ORDER BY q.id`,
      [health.silentS, health.lowBatteryPct],
    );
    return r.rows;
  }

  /** Devices with a loudspeaker in a zone. */
  async speakersInZone(zoneId: string): Promise<DeviceRow[]> {
    return (await this.pool.query<DeviceRow>(`${SELECT} WHERE d.zone_id = $1 AND d.has_speaker ORDER BY d.id`, [zoneId])).rows;
  }

  async listSimulated(): Promise<DeviceRow[]> {
    return (await this.pool.query<DeviceRow>(`${SELECT} WHERE d.simulated ORDER BY d.id`)).rows;
  }
}

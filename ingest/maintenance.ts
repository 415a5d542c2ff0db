import { TABLES } from './tables.js';
import { inTransaction } from '../core/db/transaction.js';
import { ensureStoragePolicies } from './policies.js';
import type { Logger } from '../core/log.js';
import type { Database } from '../core/db/database.js';

/**
 * Keeps the time-series store in shape on both engines:
 * - TimescaleDB: continuous-aggregate refresh, compression and retention as TimescaleDB policies,
 *   brought in line with the configuration at every start (ingest/policies.ts: only what differs changes). The embedded engine has no background
 *   scheduler, so this service runs the due jobs itself (`CALL run_job`).
 * - plain PostgreSQL: the same aggregates as tables refreshed here with the same bucketing, daily
 *   partitions created ahead, retention by dropping partitions (and trimming the default partition).
 */
export interface MaintenanceOptions {
  compressAfterDays: number;
  rawRetentionDays: number;
  aggregateRetentionDays: number;
  intervalS: number;
}

export const RAW_TABLES: readonly string[] = Object.values(TABLES).map((t) => t.table);
const AGGREGATES = ['noise_1m', 'noise_1h', 'people_5m'] as const;
/** How far back each periodic pass re-aggregates (late data older than this needs an explicit refresh). */
const REFRESH_WINDOW_MS = 3 * 3600_000;
const DAY_MS = 86_400_000;

const floorTo = (t: number, stepMs: number) => Math.floor(t / stepMs) * stepMs;
const day = (t: number) => new Date(floorTo(t, DAY_MS)).toISOString().slice(0, 10);

export class MaintenanceService {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly lastRun = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly opts: MaintenanceOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.db.timescale) await this.ensurePolicies();
    else await this.ensurePartitions(Date.now());
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick()).catch((err: unknown) => this.log.error({ err }, 'maintenance pass failed'));
    }, this.opts.intervalS * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One periodic pass. */
  async tick(now = Date.now()): Promise<void> {
    if (this.db.timescale) {
      if (this.db.engine === 'embedded') await this.runDueJobs(now);
      return;
    }
    await this.ensurePartitions(now);
    await this.refresh(new Date(now - REFRESH_WINDOW_MS), new Date(now));
    await this.applyRetention(now);
  }

  /** Re-aggregates [from, to) now, on either engine (complete buckets only, as the policies do). */
  async refresh(from: Date, to: Date): Promise<void> {
    const q = (sql: string, params: unknown[]) => this.db.pool.query(sql, params);
    if (this.db.timescale) {
      for (const [view, step] of [['noise_1m', 60_000], ['noise_1h', 3600_000], ['people_5m', 300_000]] as const) {
        await q(`CALL refresh_continuous_aggregate($1, $2::timestamptz, $3::timestamptz)`, [view, new Date(floorTo(from.getTime(), step)), new Date(floorTo(to.getTime(), step))]);
      }
      return;
    }
    const range = (step: number) => [new Date(floorTo(from.getTime(), step)), new Date(floorTo(to.getTime(), step))];
    await inTransaction(this.db.pool, async (client) => {
      const [m0, m1] = range(60_000);
      await client.query('DELETE FROM noise_1m WHERE bucket >= $1 AND bucket < $2', [m0, m1]);
      await client.query(
        `INSERT INTO noise_1m (bucket, device_id, energy_sum, samples, lamax, laeq)
         SELECT date_bin(INTERVAL '1 minute', ts, TIMESTAMPTZ '2000-01-03'), device_id, sum(power(10::float8, laeq / 10.0)),
           count(*), max(lamax), 10 * log(sum(power(10::float8, laeq / 10.0)) / count(*))
         FROM noise_readings WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2`,
        [m0, m1],
      );
      const [h0, h1] = range(3600_000);
      await client.query('DELETE FROM noise_1h WHERE bucket >= $1 AND bucket < $2', [h0, h1]);
      await client.query(
        `INSERT INTO noise_1h (bucket, device_id, energy_sum, samples, lamax, laeq)
         SELECT date_bin(INTERVAL '1 hour', bucket, TIMESTAMPTZ '2000-01-03'), device_id, sum(energy_sum), sum(samples),
           max(lamax), 10 * log(sum(energy_sum) / sum(samples))
         FROM noise_1m WHERE bucket >= $1 AND bucket < $2 GROUP BY 1, 2`,
        [h0, h1],
      );
      const [p0, p1] = range(300_000);
      await client.query('DELETE FROM people_5m WHERE bucket >= $1 AND bucket < $2', [p0, p1]);
      await client.query(
        `INSERT INTO people_5m (bucket, device_id, max_count, mean_count, samples)
         SELECT date_bin(INTERVAL '5 minutes', ts, TIMESTAMPTZ '2000-01-03'), device_id, max(count), avg(count), count(*)
         FROM people_counts WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2`,
        [p0, p1],
      );
    });
  }

  private async ensurePolicies(): Promise<void> {
    const changed = await ensureStoragePolicies(this.db.pool, RAW_TABLES, AGGREGATES, this.opts, this.log);
    this.log.info(
      { compressAfterDays: this.opts.compressAfterDays, rawRetentionDays: this.opts.rawRetentionDays, aggregateRetentionDays: this.opts.aggregateRetentionDays, compressionSettingsChanged: changed.compression, added: changed.policies.added, altered: changed.policies.altered, unchanged: changed.policies.kept.length },
      'timescaledb policies in place',
    );
  }

  /** Embedded TimescaleDB has no scheduler: run each policy job whose interval has passed. */
  async runDueJobs(now = Date.now()): Promise<number> {
    const jobs = await this.db.pool.query<{ id: number; proc: string; every: number }>(
      `SELECT job_id AS id, proc_name AS proc, extract(epoch FROM schedule_interval)::float8 * 1000 AS every
       FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY job_id`,
    );
    let ran = 0;
    for (const job of jobs.rows) {
      const last = this.lastRun.get(job.id);
      if (last !== undefined && now - last < job.every) continue;
      this.lastRun.set(job.id, now);
      try {
        await this.db.pool.query(`CALL run_job($1)`, [job.id]);
        ran++;
      } catch (err) {
        this.log.warn({ err, job: job.id, proc: job.proc }, 'timescaledb job failed');
      }
    }
    return ran;
  }

  /** Daily partitions from yesterday to two days ahead; rows already in the default partition move in. */
  async ensurePartitions(now: number): Promise<void> {
    for (const table of RAW_TABLES) {
      for (let d = -1; d <= 2; d++) {
        const from = floorTo(now, DAY_MS) + d * DAY_MS;
        const name = `${table}_p${day(from).replaceAll('-', '')}`;
        const exists = await this.db.pool.query('SELECT 1 FROM pg_class WHERE relname = $1', [name]);
        if (exists.rowCount) continue;
        await inTransaction(this.db.pool, async (client) => {
          await client.query(`CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS)`);
          await client.query(
            `WITH moved AS (DELETE FROM ${table}_default WHERE ts >= $1 AND ts < $2 RETURNING *) INSERT INTO ${name} SELECT * FROM moved`,
            [new Date(from), new Date(from + DAY_MS)],
          );
          await client.query(`ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM ('${new Date(from).toISOString()}') TO ('${new Date(from + DAY_MS).toISOString()}')`);
        });
      }
    }
  }

  /** Plain PostgreSQL retention: drop whole daily partitions past the cutoff, trim the rest. */
  async applyRetention(now: number): Promise<void> {
    const rawCutoff = now - this.opts.rawRetentionDays * DAY_MS;
    for (const table of RAW_TABLES) {
      const parts = await this.db.pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = $1 AND c.relname ~ '_p[0-9]{8}$'`,
        [table],
      );
      for (const { name } of parts.rows) {
        const ymd = name.slice(-8);
        const end = Date.parse(`${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}T00:00:00Z`) + DAY_MS;
        if (end <= rawCutoff) {
          await this.db.pool.query(`DROP TABLE ${name}`);
          this.log.info({ partition: name }, 'retention: partition dropped');
        }
      }
      await this.db.pool.query(`DELETE FROM ${table}_default WHERE ts < $1`, [new Date(rawCutoff)]);
    }
    const aggCutoff = new Date(now - this.opts.aggregateRetentionDays * DAY_MS);
    for (const view of AGGREGATES) await this.db.pool.query(`DELETE FROM ${view} WHERE bucket < $1`, [aggCutoff]);
  }
}

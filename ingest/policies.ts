import type pg from 'pg';
import type { Logger } from '../core/log.js';

/**
 * TimescaleDB's background jobs for the time-series store, as data, and their reconciliation at
 * start: a policy that is missing is added, one whose settings differ is altered in place
 * (`alter_job`: same job id, its run history kept, its next run not moved up), one that matches is
 * left alone. Starting twice with one configuration changes nothing, so a fleet of restarts does not
 * make every job fire at once.
 */
export interface StoragePolicyOptions {
  compressAfterDays: number;
  rawRetentionDays: number;
  aggregateRetentionDays: number;
}

export interface Policy {
  proc: 'policy_refresh_continuous_aggregate' | 'policy_compression' | 'policy_retention';
  /** The hypertable or continuous aggregate the job works on (its `hypertable_name`). */
  relation: string;
  /** Interval settings in the job's config, by key. */
  intervals: Readonly<Record<string, string>>;
  /** Set only where the platform chooses the job's schedule (aggregate refresh). */
  schedule?: string;
}

/** Compression groups each device's rows and orders them as the unique key does (ts, seq). */
export const COMPRESSION = { segmentby: 'device_id', orderby: 'ts DESC, seq DESC' } as const;

const AGGREGATE_REFRESH = [
  ['noise_1m', '3 hours', '1 minute', '1 minute'],
  ['noise_1h', '3 days', '1 hour', '30 minutes'],
  ['people_5m', '3 hours', '5 minutes', '5 minutes'],
] as const;

/** Every policy the configuration asks for. */
export function storagePolicies(rawTables: readonly string[], aggregates: readonly string[], o: StoragePolicyOptions): Policy[] {
  const days = (n: number) => `${n} days`;
  return [
    ...AGGREGATE_REFRESH.map(([relation, start, end, every]): Policy => ({
      proc: 'policy_refresh_continuous_aggregate', relation, intervals: { start_offset: start, end_offset: end }, schedule: every,
    })),
    ...rawTables.flatMap((relation): Policy[] => [
      { proc: 'policy_compression', relation, intervals: { compress_after: days(o.compressAfterDays) } },
      { proc: 'policy_retention', relation, intervals: { drop_after: days(o.rawRetentionDays) } },
    ]),
    ...aggregates.map((relation): Policy => ({ proc: 'policy_retention', relation, intervals: { drop_after: days(o.aggregateRetentionDays) } })),
  ];
}

/** How a policy is added when missing. */
function addStatement(p: Policy): [string, unknown[]] {
  switch (p.proc) {
    case 'policy_refresh_continuous_aggregate':
      return [
        `SELECT add_continuous_aggregate_policy($1, start_offset => $2::interval, end_offset => $3::interval, schedule_interval => $4::interval, if_not_exists => true)`,
        [p.relation, p.intervals.start_offset, p.intervals.end_offset, p.schedule],
      ];
    case 'policy_compression':
      return [`SELECT add_compression_policy($1, $2::interval, if_not_exists => true)`, [p.relation, p.intervals.compress_after]];
    case 'policy_retention':
      return [`SELECT add_retention_policy($1, $2::interval, if_not_exists => true)`, [p.relation, p.intervals.drop_after]];
  }
}

export type Change = 'added' | 'altered' | 'kept';

/** Brings one policy in line: returns what it did. */
async function reconcile(pool: pg.Pool, p: Policy): Promise<Change> {
  const keys = Object.keys(p.intervals);
  const wanted = keys.map((k) => p.intervals[k]);
  // Intervals compared as intervals ('03:00:00' = '3 hours'), in the database that wrote them.
  const same = keys.map((k, i) => `(config->>'${k}')::interval IS NOT DISTINCT FROM $${i + 3}::interval`);
  const job = await pool.query<{ id: number; config_same: boolean; schedule_same: boolean }>(
    `SELECT job_id AS id, ${same.join(' AND ')} AS config_same,
       ($${keys.length + 3}::interval IS NULL OR schedule_interval = $${keys.length + 3}::interval) AS schedule_same
     FROM timescaledb_information.jobs WHERE proc_name = $1 AND hypertable_name = $2 ORDER BY job_id LIMIT 1`,
    [p.proc, p.relation, ...wanted, p.schedule ?? null],
  );
  const row = job.rows[0];
  if (!row) {
    const [sql, params] = addStatement(p);
    await pool.query(sql, params);
    return 'added';
  }
  if (row.config_same && row.schedule_same) return 'kept';
  if (!row.config_same) {
    await pool.query(`SELECT alter_job(job_id, config => config || $2::jsonb) FROM timescaledb_information.jobs WHERE job_id = $1`, [row.id, JSON.stringify(p.intervals)]);
  }
  if (!row.schedule_same) await pool.query(`SELECT alter_job($1, schedule_interval => $2::interval)`, [row.id, p.schedule]);
  return 'altered';
}

const normalise = (s: string | null) => (s ?? '').replace(/\s+/g, '').toLowerCase();

/**
 * Compression on each raw table: enabled with COMPRESSION when it is not, and its settings brought in
 * line when they differ (a table compressed before `seq` joined the order). A server that refuses the
 * change (some versions, with chunks already compressed) keeps its settings, with a warning.
 */
async function ensureCompression(pool: pg.Pool, rawTables: readonly string[], log: Logger): Promise<string[]> {
  const current = await pool.query<{ table: string; enabled: boolean; segmentby: string | null; orderby: string | null }>(
    `SELECT h.hypertable_name AS table, h.compression_enabled AS enabled, s.segmentby, s.orderby
     FROM timescaledb_information.hypertables h
     LEFT JOIN timescaledb_information.hypertable_compression_settings s ON s.hypertable = format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass
     WHERE h.hypertable_name = ANY($1)`,
    [rawTables],
  );
  const changed: string[] = [];
  for (const t of current.rows) {
    if (t.enabled && normalise(t.segmentby) === normalise(COMPRESSION.segmentby) && normalise(t.orderby) === normalise(COMPRESSION.orderby)) continue;
    try {
      await pool.query(
        `ALTER TABLE ${t.table} SET (timescaledb.compress, timescaledb.compress_segmentby = '${COMPRESSION.segmentby}', timescaledb.compress_orderby = '${COMPRESSION.orderby}')`,
      );
      changed.push(t.table);
    } catch (err) {
      log.warn({ err, table: t.table, segmentby: t.segmentby, orderby: t.orderby }, 'compression settings kept as they are');
    }
  }
  return changed;
}

/** Reconciles compression settings and every policy; returns what changed, for the log and tests. */
export async function ensureStoragePolicies(
  pool: pg.Pool,
  rawTables: readonly string[],
  aggregates: readonly string[],
  opts: StoragePolicyOptions,
  log: Logger,
): Promise<{ compression: string[]; policies: Record<Change, string[]> }> {
  const compression = await ensureCompression(pool, rawTables, log);
  const policies: Record<Change, string[]> = { added: [], altered: [], kept: [] };
  for (const p of storagePolicies(rawTables, aggregates, opts)) policies[await reconcile(pool, p)].push(`${p.proc}:${p.relation}`);
  return { compression, policies };
}

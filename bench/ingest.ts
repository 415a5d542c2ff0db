import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { newSecret } from '../core/secrets.js';
import { MAX_BATCH_READINGS } from '../core/telemetry-decode.js';
import { cpuSeconds, startChild, startPlatformChild, startSecondPlatform, type Child } from './lib/child.js';
import { scratchDatabase, type RawResult, type Scratch } from './lib/db.js';
import { fmtInt, quantile, table } from './lib/report.js';
import type { BenchDevice } from './lib/workload.js';

/**
 * `npm run bench:ingest` — readings through the whole write path: BENCH_DEVICES (1000) devices, each
 * its own MQTT connection, publish noise readings (QoS 1, at most 50 unacknowledged each) through our
 * broker into the running ingest service (one process: startPlatform with SERVICES=broker,ingest),
 * at rising rates — BENCH_RATE_START (2,000/s) × 1.5 per step of BENCH_STEP_S (10) seconds, until a
 * step no longer keeps up or BENCH_RATE_MAX (300,000/s); BENCH_RATES=a,b,c fixes them instead.
 * BENCH_BATCH (1) readings per message: above 1 each message is a batch (a JSON array, at most 500),
 * as store-and-forward devices and gateways send them; rates stay in readings/s.
 *
 * Measured only through SQL, never ingest's internals, so it works whatever ingest does inside:
 * - committed readings/s: count(*) of noise_readings at the start and end of each step;
 * - publish→commit latency: every reading carries its publish time as `ts`; the rows of 8 probe
 *   devices are polled every 25 ms and each one's latency is (first seen − ts), so the figures
 *   include up to one poll interval (on the embedded engine the polls go through the platform's own
 *   single-connection pool, queued behind ingest's writes, so they include that wait too);
 * - no loss: after the last step, committed rows = readings the broker acknowledged;
 * - the baseline, in the same run and database: the same number of identical rows (BENCH_RAW_ROWS,
 *   default 200,000) written straight into noise_readings by the engine's fastest raw method
 *   (bench/lib/db.ts), BENCH_RAW_ROUNDS (3) times: the median round is the baseline. ours/raw is the
 *   headline.
 *
 * Engine: embedded (default, in a temporary DATA_DIR), or the PostgreSQL server at DATABASE_URL,
 * in a scratch database created for the run and dropped after. BENCH_PROFILE=dir writes a CPU profile
 * of the platform process during each step.
 */
const N_DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const LOADERS = Number(process.env.BENCH_LOADERS ?? 2);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 10);
const RATE_START = Number(process.env.BENCH_RATE_START ?? 2000);
const RATE_MAX = Number(process.env.BENCH_RATE_MAX ?? 300_000);
const FIXED_RATES = process.env.BENCH_RATES?.split(',').map(Number);
const RAW_ROWS = Number(process.env.BENCH_RAW_ROWS ?? 200_000);
const RAW_ROUNDS = Number(process.env.BENCH_RAW_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 1);
if (!Number.isInteger(BATCH) || BATCH < 1 || BATCH > MAX_BATCH_READINGS) throw new Error(`BENCH_BATCH must be an integer from 1 to ${MAX_BATCH_READINGS}`);
/** Where CPU profiles of the platform process during each step go (BENCH_PROFILE=dir); unset = none. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** Services of the platform process (BENCH_SERVICES), and of a second process beside it (BENCH_SECOND_SERVICES, bench:scale). */
const SERVICES = process.env.BENCH_SERVICES ?? 'broker,ingest';
const SECOND_SERVICES = process.env.BENCH_SECOND_SERVICES;
/**
 * How the simulated devices talk MQTT (BENCH_CLIENT): `raw` (default), plain sockets writing frames
 * encoded by hand (bench/lib/raw-mqtt.ts), or `mqtt`, an mqtt.js client per device. Both are the same
 * devices, credentials, topics, payloads, QoS 1 and in-flight limit; on a two-core machine shared by
 * the loaders, the platform and the database, mqtt.js loaders take about as much CPU as the platform
 * itself, which then goes missing from the platform and the database (devices are not on the server).
 */
const CLIENT = process.env.BENCH_CLIENT ?? 'raw';
if (CLIENT !== 'raw' && CLIENT !== 'mqtt') throw new Error('BENCH_CLIENT must be raw or mqtt');
const MAX_INFLIGHT = 50;
const PROBES = 8;
const POLL_MS = 25;
const DRAIN_LIMIT_MS = 180_000;
/** A step keeps up when it commits this share of what was offered and its p99 stays under this. */
const KEEP_UP = 0.95;
const KEEP_UP_P99_MS = 2000;

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Step {
  target: number;
  offered: number;
  committed: number;
  skipped: number;
  from: number;
  to: number;
  latencies: number[];
  /** CPU of the platform process (broker + ingest, and the embedded database) and of the loaders, % of one core. */
  platformCpu: number;
  loadCpu: number;
}

interface Ready {
  type: string;
  mqttPort: number;
  engine: 'embedded' | 'server';
  timescale: boolean;
}

/** How this process reads the database. */
interface Sql {
  query<T>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A server: a connection of our own. */
async function directSql(url: string): Promise<Sql> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    query: async <T>(text: string, values?: unknown[]) => (await client.query({ text, values })).rows as T[],
    close: () => client.end(),
  };
}

/**
 * The embedded engine: through the platform's own pool. PGlite is a single backend shared by all
 * its connections; a second client interleaving its statements with ingest's corrupts both (seen
 * here: ingest stalled with every reading unacknowledged).
 */
function platformSql(platform: Child): Sql {
  return {
    query: async <T>(text: string, values?: unknown[]) => (await platform.request<{ type: string; rows: T[] }>({ type: 'sql', text, values }, 'rows')).rows,
    close: async () => undefined,
  };
}

/** Polls the probe devices' rows and records each reading's publish→visible latency once. */
class Prober {
  private readonly seen = new Set<string>();
  /** Newest reading timestamp (ms) seen per probe device. */
  private readonly last = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly samples: { publishedAt: number; latency: number }[] = [];

  constructor(
    private readonly db: Sql,
    private readonly probes: string[],
  ) {}

  start(): void {
    const tick = async () => {
      // Readings are stamped with their publish time, so a probe's new rows are past its newest ts
      // (less a margin for rows committed out of order): a range of the (device_id, ts, seq) index.
      const floor = Math.min(...this.probes.map((p) => this.last.get(p) ?? 0)) - 2000;
      const rows = await this.db.query<{ d: string; s: number; t: number }>(
        'SELECT device_id AS d, seq AS s, (extract(epoch FROM ts) * 1000)::float8 AS t FROM noise_readings WHERE device_id = ANY($1::text[]) AND ts > $2',
        [this.probes, new Date(floor)],
      );
      const now = Date.now();
      for (const row of rows) {
        const key = `${row.d}:${row.s}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.samples.push({ publishedAt: row.t, latency: now - row.t });
        if (row.t > (this.last.get(row.d) ?? 0)) this.last.set(row.d, row.t);
      }
    };
    const loop = () => {
      this.running = tick().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(loop, POLL_MS);
      });
    };
    this.timer = setTimeout(loop, POLL_MS);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

async function count(db: Sql): Promise<number> {
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM noise_readings');
  return rows[0]?.n ?? 0;
}

function rates(): number[] {
  if (FIXED_RATES) return FIXED_RATES;
  const out: number[] = [];
  for (let r = RATE_START; r <= RATE_MAX; r = Math.round(r * 1.5)) out.push(r);
  return out;
}

async function runSteps(db: Sql, platform: Child, others: Child[], loaders: Child[]): Promise<Step[]> {
  const platformCpu = () => [platform, ...others].reduce((n, c) => n + cpuSeconds(c.pid), 0);
  const steps: Step[] = [];
  const loadCpu = () => loaders.reduce((n, l) => n + cpuSeconds(l.pid), 0);
  for (const target of rates()) {
    const c0 = await count(db);
    const from = Date.now();
    const cpu0 = [platformCpu(), loadCpu()];
    if (PROFILE_DIR) await platform.request({ type: 'profile-start' }, 'profiling');
    const done = await Promise.all(
      loaders.map((l) => l.request<{ type: string; sent: number; skipped: number }>({ type: CLIENT === 'raw' ? 'raw-paced' : 'paced', rate: target / loaders.length, durationMs: STEP_S * 1000, maxInflight: MAX_INFLIGHT, batch: BATCH }, 'paced-done', STEP_S * 1000 + 60_000)),
    );
    const cpu1 = [platformCpu(), loadCpu()];
    if (PROFILE_DIR) log(`  profile: ${(await platform.request<{ type: string; file: string }>({ type: 'profile-stop', file: path.resolve(PROFILE_DIR, `ingest-${target}.cpuprofile`) }, 'profiled')).file}`);
    const c1 = await count(db);
    const to = Date.now();
    const seconds = (to - from) / 1000;
    const sent = done.reduce((n, d) => n + d.sent, 0);
    const step: Step = {
      target,
      offered: sent / STEP_S,
      committed: (c1 - c0) / seconds,
      skipped: done.reduce((n, d) => n + d.skipped, 0),
      from,
      to: from + STEP_S * 1000,
      latencies: [],
      platformCpu: (((cpu1[0] ?? 0) - (cpu0[0] ?? 0)) / STEP_S) * 100,
      loadCpu: (((cpu1[1] ?? 0) - (cpu0[1] ?? 0)) / STEP_S) * 100,
    };
    steps.push(step);
    log(`  offered ${fmtInt(step.offered).padStart(8)}/s (target ${fmtInt(target)})  committed ${fmtInt(step.committed).padStart(8)}/s  CPU: platform ${step.platformCpu.toFixed(0)}%, loaders ${step.loadCpu.toFixed(0)}%${step.skipped ? `  (${fmtInt(step.skipped)} not sent: devices had ${MAX_INFLIGHT} messages unacknowledged)` : ''}`);
    if (!FIXED_RATES && (step.committed < KEEP_UP * target || step.skipped > 0.01 * target * STEP_S)) break;
  }
  return steps;
}

async function drain(db: Sql, loaders: Child[]): Promise<{ acked: number; committed: number; ms: number }> {
  const started = Date.now();
  let acked = 0;
  let committed = 0;
  let lastChange = Date.now();
  let previous = -1;
  while (Date.now() - started < DRAIN_LIMIT_MS) {
    const stats = await Promise.all(loaders.map((l) => l.request<{ type: string; acked: number; inflight: number }>({ type: 'stats' }, 'stats')));
    acked = stats.reduce((n, s) => n + s.acked, 0);
    const inflight = stats.reduce((n, s) => n + s.inflight, 0);
    committed = await count(db);
    if (committed !== previous) lastChange = Date.now();
    previous = committed;
    if (inflight === 0 && committed >= acked) break;
    if (Date.now() - lastChange > 15_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { acked, committed, ms: Date.now() - started };
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  const engineName = serverUrl ? 'server' : 'embedded';
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-ingest-'));
  const children: Child[] = [];
  let scratch: Scratch | undefined;
  let db: Sql | undefined;
  const cleanup = async () => {
    await db?.close().catch(() => undefined);
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await scratch?.drop().catch((err: unknown) => log(`could not drop the scratch database: ${String(err)}`));
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`load average before the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes on this machine skew the figures)`);
    log(`bench:ingest — ${engineName} database, ${N_DEVICES} devices (${CLIENT === 'raw' ? 'plain sockets' : 'mqtt.js'}) over ${LOADERS} load processes, steps of ${STEP_S} s, ${BATCH === 1 ? 'one reading' : `batches of ${BATCH} readings`} per message`);
    if (serverUrl) scratch = await scratchDatabase(serverUrl, 'bench_ingest');
    const devicesFile = path.join(tmp, 'devices.json');
    const servicePassword = newSecret();
    if (SECOND_SERVICES && !serverUrl) throw new Error('BENCH_SECOND_SERVICES needs DATABASE_URL: the embedded database serves one process');
    const platform = startPlatformChild(SERVICES, tmp, N_DEVICES, servicePassword, scratch?.url);
    children.push(platform);
    const ready = await platform.next<Ready>('ready');
    const devices = JSON.parse(await readFile(devicesFile, 'utf8')) as BenchDevice[];
    log(`platform (${SERVICES}): pid ${platform.pid}, mqtt port ${ready.mqttPort}, ${ready.engine} database${ready.timescale ? ' with TimescaleDB' : ' (native partitioning)'}`);
    // bench:scale: the other services in a process of their own, connected to the first one's broker.
    const others = SECOND_SERVICES
      ? [startSecondPlatform(SECOND_SERVICES, tmp, ready.mqttPort, servicePassword, scratch!.url)]
      : [];
    children.push(...others);
    for (const o of others) {
      await o.next<Ready>('ready');
      log(`second process (${SECOND_SERVICES}): pid ${o.pid}`);
    }
    db = scratch ? await directSql(scratch.url) : platformSql(platform);

    const loaders = Array.from({ length: LOADERS }, (_, i) => startChild(`loader-${i}`, 'load.ts', {}));
    children.push(...loaders);
    await Promise.all(loaders.map((l) => l.next('ready')));
    const indexed = devices.map((d, index) => ({ ...d, index }));
    await Promise.all(
      loaders.map((l, i) => l.request({ type: CLIENT === 'raw' ? 'raw-connect' : 'connect', url: `mqtt://127.0.0.1:${ready.mqttPort}`, devices: indexed.filter((d) => d.index % LOADERS === i) }, 'connected')),
    );

    const prober = new Prober(db, devices.slice(0, PROBES).map((d) => d.id));
    prober.start();
    const steps = await runSteps(db, platform, others, loaders);
    const drained = await drain(db, loaders);
    await prober.stop();
    for (const s of prober.samples) steps.find((st) => s.publishedAt >= st.from && s.publishedAt < st.to)?.latencies.push(s.latency);
    log(`  drained in ${(drained.ms / 1000).toFixed(1)} s: ${fmtInt(drained.committed)} rows committed, ${fmtInt(drained.acked)} readings acknowledged by the broker${drained.committed < drained.acked ? ' — MISSING ROWS' : ''}`);
    await Promise.all(loaders.map((l) => l.request({ type: CLIENT === 'raw' ? 'raw-disconnect' : 'disconnect' }, 'disconnected')));

    // The baseline: identical rows, same table, same database, nothing else running.
    // In rounds, each after a CHECKPOINT (bench/target.ts): one run of 200,000 rows takes 1–2 s, and alone
    // it gave anything from 85,000 to 148,000 rows/s here. The median round is the baseline, the range is
    // printed beside it.
    const rounds: RawResult[] = [];
    for (let i = 0; i < RAW_ROUNDS; i++) {
      rounds.push(await platform.request<RawResult & { type: string }>({ type: 'raw', rows: RAW_ROWS, seqStart: 1_000_000_000 + i * RAW_ROWS, tsMs: Date.now() - RAW_ROWS }, 'raw-done', 600_000));
    }
    report(engineName, steps, rounds);
  } finally {
    await cleanup();
  }
}

function report(engine: string, steps: Step[], rounds: readonly RawResult[]): void {
  const rates = rounds.map((r) => r.rate).sort((a, b) => a - b);
  const raw = { ...(rounds[0] as RawResult), rate: quantile(rates, 0.5) };
  const range = rates.length > 1 ? `, median of ${rates.length} rounds (${fmtInt(rates[0] ?? 0)}–${fmtInt(rates.at(-1) ?? 0)})` : '';
  const rows = steps.map((s) => {
    const keptUp = s.committed >= KEEP_UP * s.offered && s.skipped <= 0.01 * s.target * STEP_S && quantile(s.latencies, 0.99) <= KEEP_UP_P99_MS;
    return [fmtInt(s.target), fmtInt(s.offered), fmtInt(s.committed), fmtInt(quantile(s.latencies, 0.5)), fmtInt(quantile(s.latencies, 0.99)), String(s.latencies.length), `${s.platformCpu.toFixed(0)}%`, keptUp ? 'yes' : 'no'];
  });
  const kept = steps.filter((_, i) => rows[i]?.[7] === 'yes');
  const sustained = kept.sort((a, b) => b.committed - a.committed)[0];
  const peak = [...steps].sort((a, b) => b.committed - a.committed)[0];
  log('');
  log(table(['target/s', 'offered/s', 'committed/s', 'p50 ms', 'p99 ms', 'samples', 'platform CPU', 'kept up'], rows));
  log('');
  const ratio = (x: number | undefined) => (x === undefined ? '–' : `${(x / raw.rate).toFixed(2)}×`);
  log(
    table(
      [`${engine} database`, 'readings/s', 'p50 ms', 'p99 ms', 'ours/raw'],
      [
        ['ours, sustained (highest step kept up)', fmtInt(sustained?.committed ?? Number.NaN), fmtInt(quantile(sustained?.latencies ?? [], 0.5)), fmtInt(quantile(sustained?.latencies ?? [], 0.99)), ratio(sustained?.committed)],
        ['ours, peak (any step)', fmtInt(peak?.committed ?? Number.NaN), fmtInt(quantile(peak?.latencies ?? [], 0.5)), fmtInt(quantile(peak?.latencies ?? [], 0.99)), ratio(peak?.committed)],
        [`raw: ${raw.method}${range}`, fmtInt(raw.rate), '', '', '1.00×'],
      ],
    ),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ingest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

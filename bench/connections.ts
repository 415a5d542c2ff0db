import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { newSecret } from '../core/secrets.js';
import { startChild, type Child } from './lib/child.js';
import { benchSession } from './lib/session.js';
import { scratchDatabase } from './lib/db.js';
import { startMosquitto } from './lib/mosquitto.js';
import { rawSubscriber } from './lib/raw-mqtt.js';
import { fmtInt, quantile, table } from './lib/report.js';
import { TELEMETRY_FILTER, type BenchDevice } from './lib/workload.js';

/**
 * `npm run bench:connections` — one broker process holding many devices: BENCH_IDLE (10,000) idle
 * device connections (each its own credentials, keep-alive pings only) plus BENCH_ACTIVE (1,000) active
 * ones, each publishing one reading every BENCH_INTERVAL_MS (1000) ms at QoS 1 for BENCH_DURATION_S
 * (20) s while a subscriber like ingest (persistent session, QoS 1) takes them. Our broker
 * (BrokerService, device registry in a database, default journal persistence) and Mosquitto (its own
 * instance with authentication and an ACL, bench/lib/mosquitto.ts), one after the other, each with the
 * same devices:
 *
 * - memory per idle connection: the broker process's resident set (RSS) before and after the idle
 *   devices connected, divided by their number (ours after a full collection: node --expose-gc);
 * - PUBACK latency p50/p99 of the active devices (PUBLISH written → PUBACK read), with the idle ones
 *   connected.
 *
 * The device connections are plain sockets over BENCH_FLEETS (2) processes (bench/devices.ts).
 * DATABASE_URL puts the device registry on that server (scratch database); else it is embedded.
 */
const IDLE = Number(process.env.BENCH_IDLE ?? 10_000);
const ACTIVE = Number(process.env.BENCH_ACTIVE ?? 1000);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 1000);
const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? 20) * 1000;
const FLEETS = Number(process.env.BENCH_FLEETS ?? 2);
const ONLY = process.env.BENCH_BROKERS?.split(',') ?? ['ours', 'mosquitto'];
const SETTLE_MS = 3000;

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Resident set of a process (bytes), from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

interface Result {
  broker: string;
  idle: number;
  bytesPerIdle: number;
  heapPerIdle?: number;
  connectS: number;
  latencies: number[];
  expected: number;
}

const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

async function measure(name: string, url: string, pid: number, fleets: Child[], devices: BenchDevice[], servicePassword: string, memory: () => Promise<{ rss: number; heapUsed?: number }>): Promise<Result> {
  const indexed = devices.map((d, index) => ({ ...d, index }));
  const idle = indexed.slice(0, IDLE);
  const active = indexed.slice(IDLE, IDLE + ACTIVE);
  const share = <T>(list: T[], i: number) => list.filter((_, k) => k % fleets.length === i);
  // The subscriber (ingest's part) is there before and after, so only the idle devices make the difference.
  const sub = await rawSubscriber(url, `svc-bench-sub-${name}`, 'service', servicePassword, TELEMETRY_FILTER);
  try {
    await settle();
    const before = await memory();
    const t0 = performance.now();
    const opened = await Promise.all(fleets.map((f, i) => f.request<{ type: string; open: number }>({ type: 'connect', url, devices: share(idle, i) }, 'connected', 600_000)));
    const connectS = (performance.now() - t0) / 1000;
    await settle();
    const after = await memory();
    const n = opened.reduce((s, o) => s + o.open, 0);
    log(`  ${name}: ${fmtInt(n)} idle connections in ${connectS.toFixed(1)} s; broker RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(after.rss / 2 ** 20).toFixed(0)} MiB (pid ${pid})`);
    // The active devices, in a fleet process of their own share, then publishing.
    await Promise.all(fleets.map((f, i) => f.request({ type: 'connect', url, devices: share(active, i), active: true }, 'connected', 600_000)));
    const runs = await Promise.all(fleets.map((f) => f.request<{ type: string; latencies: number[] }>({ type: 'publish', intervalMs: INTERVAL_MS, durationMs: DURATION_MS }, 'published', DURATION_MS + 300_000)));
    const latencies = runs.flatMap((r) => r.latencies);
    return {
      broker: name,
      idle: n,
      bytesPerIdle: (after.rss - before.rss) / n,
      ...(before.heapUsed !== undefined && after.heapUsed !== undefined ? { heapPerIdle: (after.heapUsed - before.heapUsed) / n } : {}),
      connectS,
      latencies,
      expected: ACTIVE * Math.floor(DURATION_MS / INTERVAL_MS),
    };
  } finally {
    await Promise.all(fleets.map((f) => f.request({ type: 'disconnect' }, 'disconnected', 120_000)));
    await sub.close();
  }
}

async function main(): Promise<void> {
  await benchSession('connections', async ({ tmp, children, onCleanup }) => {
    const servicePassword = newSecret();
    log(`bench:connections — ${fmtInt(IDLE)} idle + ${fmtInt(ACTIVE)} active devices (one QoS 1 reading every ${INTERVAL_MS} ms for ${DURATION_MS / 1000} s), ${FLEETS} device processes`);
    let scratchUrl: string | undefined;
    if (process.env.DATABASE_URL) {
      const scratch = await scratchDatabase(process.env.DATABASE_URL, 'bench_connections');
      scratchUrl = scratch.url;
      onCleanup(() => scratch.drop());
    }
    const devicesFile = path.join(tmp, 'devices.json');
    const ours = startChild('broker', 'target.ts', {
      SERVICES: 'broker',
      DATA_DIR: path.join(tmp, 'data'),
      MQTT_SERVICE_PASSWORD: servicePassword,
      MQTT_MAX_CONNECTIONS: String(IDLE + ACTIVE + 100),
      BENCH_DEVICES: String(IDLE + ACTIVE),
      BENCH_DEVICES_FILE: devicesFile,
      ...(scratchUrl ? { DATABASE_URL: scratchUrl } : {}),
    }, undefined, ['--expose-gc', ...(process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])]);
    children.push(ours);
    const ready = await ours.next<{ type: string; mqttPort: number }>('ready', 900_000);
    const devices = JSON.parse(await readFile(devicesFile, 'utf8')) as BenchDevice[];
    log(`our broker: pid ${ours.pid}, port ${ready.mqttPort}, ${fmtInt(devices.length)} devices provisioned`);
    const fleets = Array.from({ length: FLEETS }, (_, i) => startChild(`fleet-${i}`, 'devices.ts', {}));
    children.push(...fleets);
    await Promise.all(fleets.map((f) => f.next('ready')));

    const results: Result[] = [];
    if (ONLY.includes('ours')) {
      const memory = async () => {
        const m = await ours.request<{ type: string; rss: number; heapUsed: number }>({ type: 'memory' }, 'memory');
        return { rss: m.rss, heapUsed: m.heapUsed };
      };
      results.push(await measure('ours', `mqtt://127.0.0.1:${ready.mqttPort}`, ours.pid, fleets, devices, servicePassword, memory));
    }
    if (ONLY.includes('mosquitto')) {
      const mosquitto = await startMosquitto(devices, servicePassword);
      onCleanup(() => mosquitto.stop());
      const pid = mosquitto.pid;
      log(`mosquitto ${mosquitto.version}: pid ${pid}, port ${mosquitto.port}`);
      results.push(await measure('mosquitto', `mqtt://127.0.0.1:${mosquitto.port}`, pid, fleets, devices, servicePassword, async () => ({ rss: rss(pid) })));
    }
    log('');
    log(table(['broker', 'idle connections', 'RSS KiB / idle conn', 'heap KiB / idle conn', 'PUBACK p50 ms', 'PUBACK p99 ms', 'max ms', 'PUBACKs'], results.map((r) => [
      r.broker,
      fmtInt(r.idle),
      (r.bytesPerIdle / 1024).toFixed(1),
      r.heapPerIdle === undefined ? '' : (r.heapPerIdle / 1024).toFixed(1),
      quantile(r.latencies, 0.5).toFixed(1),
      quantile(r.latencies, 0.99).toFixed(1),
      Math.max(...r.latencies).toFixed(0),
      `${fmtInt(r.latencies.length)}/${fmtInt(r.expected)}`,
    ])));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:connections failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

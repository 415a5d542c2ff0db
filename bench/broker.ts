import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { newSecret } from '../core/secrets.js';
import { cpuSeconds, cpuSet, startChild, type Child } from './lib/child.js';
import { scratchDatabase, type Scratch } from './lib/db.js';
import { startMosquitto, type Mosquitto } from './lib/mosquitto.js';
import { rawSubscriber } from './lib/raw-mqtt.js';
import { table } from './lib/report.js';
import { TELEMETRY_FILTER, type BenchDevice } from './lib/workload.js';

/**
 * `npm run bench:broker` — the same fan-in publish workload against our broker (BrokerService with
 * the real device policy, devices provisioned in a database) and against Mosquitto with
 * authentication and an ACL, each in its own process:
 *
 *   BENCH_DEVICES (1000) devices, each its own mqtt.js connection and credentials, spread over
 *   BENCH_PUBLISHERS (2) load-generator processes, publish BENCH_MESSAGES (100) noise readings each
 *   on v1/devices/{id}/telemetry/noise, at QoS 0 and at QoS 1; one subscriber on
 *   v1/devices/+/telemetry/+ (QoS 1, persistent session, like ingest) counts what it receives.
 *
 * Reported: messages/s delivered to the subscriber (first to last message), losses, the broker
 * process's CPU time per message, and ours/Mosquitto. BENCH_ROUNDS (2) repetitions, best kept.
 * The broker under test is pinned to one core and the load to the others (BENCH_PIN=0 to disable).
 * DATABASE_URL puts the device registry on that server, in a scratch database created for the run and
 * dropped after; by default it is embedded in a temporary directory.
 * BENCH_PROFILE=dir writes a CPU profile of our broker during each measured burst.
 *
 * BENCH_CLIENT=raw runs the same devices, credentials, topics, payloads and subscriber session over
 * plain sockets with frames encoded before the burst (bench/lib/raw-mqtt.ts) instead of mqtt.js: the
 * load then costs a fraction of what it does with mqtt.js, so the brokers, not the clients, set the
 * rate (with mqtt.js both brokers can be bound by the load generators).
 */
const N_DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const PER_DEVICE = Number(process.env.BENCH_MESSAGES ?? 100);
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const QOS: (0 | 1)[] = (process.env.BENCH_QOS ?? '0,1').split(',').map((q) => (q === '1' ? 1 : 0));
const ONLY = process.env.BENCH_BROKERS?.split(',') ?? ['mosquitto', 'ours'];
const RAW = process.env.BENCH_CLIENT === 'raw';
/** Where CPU profiles of our broker's measured windows go (open them in Chrome DevTools); unset = none. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
const IDLE_MS = 5_000;
const RUN_LIMIT_MS = 120_000;

interface Target {
  name: 'ours' | 'mosquitto';
  url: string;
  pid: number;
}

interface Result {
  broker: Target['name'];
  qos: 0 | 1;
  expected: number;
  delivered: number;
  seconds: number;
  rate: number;
  cpuUsPerMsg: number;
  cpuPct: number;
  /** CPU of the load generators and the subscriber, in % of one core: near the size of their cpuset = client-bound. */
  loadCpuPct: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Subscriber {
  count(): number;
  last(): number;
  close(): Promise<void>;
}

/** A subscriber like ingest: service account, `v1/devices/+/telemetry/+` at QoS 1, persistent session. */
async function subscribe(url: string, password: string): Promise<Subscriber> {
  return RAW ? subscribeRaw(url, password) : subscribeMqttJs(url, password);
}

async function subscribeMqttJs(url: string, password: string): Promise<Subscriber> {
  const client = mqtt.connect(url, {
    username: 'service',
    password,
    clientId: `bench-sub-${Math.random().toString(16).slice(2, 10)}`,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  let n = 0;
  let last = 0;
  client.on('message', () => {
    n++;
    last = performance.now();
  });
  await client.subscribeAsync(TELEMETRY_FILTER, { qos: 1 });
  return {
    count: () => n,
    last: () => last,
    async close() {
      await client.unsubscribeAsync(TELEMETRY_FILTER).catch(() => undefined);
      await client.endAsync();
    },
  };
}

/** The same subscriber over a plain socket (bench/lib/raw-mqtt.ts). */
function subscribeRaw(url: string, password: string): Promise<Subscriber> {
  return rawSubscriber(url, `bench-sub-${Math.random().toString(16).slice(2, 10)}`, 'service', password, TELEMETRY_FILTER);
}

async function measure(target: Target, qos: 0 | 1, publishers: Child[], shares: (BenchDevice & { index: number })[][], servicePassword: string, profile?: { child: Child; file: string }): Promise<Result> {
  const sub = await subscribe(target.url, servicePassword);
  try {
    const cmd = (name: string) => (RAW ? `raw-${name}` : name);
    await Promise.all(publishers.map((p, i) => p.request({ type: cmd('connect'), url: target.url, devices: shares[i] ?? [] }, 'connected')));
    const prepare = async (perDevice: number) => {
      if (RAW) await Promise.all(publishers.map((p) => p.request({ type: 'raw-prepare', perDevice, qos }, 'prepared')));
    };
    // Warm-up (JIT, buffers, sessions), not measured.
    const warm = 5 * N_DEVICES;
    await prepare(5);
    await Promise.all(publishers.map((p) => p.request({ type: cmd('burst'), perDevice: 5, qos }, 'burst-done')));
    await waitDelivered(() => sub.count(), warm);
    const base = sub.count();
    const expected = PER_DEVICE * N_DEVICES;
    await prepare(PER_DEVICE);
    if (profile) await profile.child.request({ type: 'profile-start' }, 'profiling');
    const loadCpu = () => publishers.reduce((sum, p) => sum + cpuSeconds(p.pid), 0) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    const load0 = loadCpu();
    const cpu0 = cpuSeconds(target.pid);
    const t0 = performance.now();
    const bursts = Promise.all(publishers.map((p) => p.request({ type: cmd('burst'), perDevice: PER_DEVICE, qos }, 'burst-done', RUN_LIMIT_MS)));
    await waitDelivered(() => sub.count() - base, expected);
    const delivered = sub.count() - base;
    const cpu = cpuSeconds(target.pid) - cpu0;
    const load = loadCpu() - load0;
    await bursts;
    if (profile) log(`  profile: ${(await profile.child.request<{ type: string; file: string }>({ type: 'profile-stop', file: profile.file }, 'profiled')).file}`);
    // From the go signal to the last message delivered.
    const seconds = (sub.last() - t0) / 1000;
    return {
      broker: target.name,
      qos,
      expected,
      delivered,
      seconds,
      rate: delivered / seconds,
      cpuUsPerMsg: (cpu / delivered) * 1e6,
      cpuPct: (cpu / seconds) * 100,
      loadCpuPct: (load / seconds) * 100,
    };
  } finally {
    await Promise.all(publishers.map((p) => p.request({ type: RAW ? 'raw-disconnect' : 'disconnect' }, 'disconnected')));
    await sub.close();
  }
}

/** Resolves once `count()` reaches `n`, or nothing new arrived for IDLE_MS, or the run limit passed. */
async function waitDelivered(count: () => number, n: number): Promise<void> {
  const started = Date.now();
  let last = count();
  let lastChange = Date.now();
  while (count() < n) {
    await new Promise((r) => setTimeout(r, 20));
    const c = count();
    if (c !== last) {
      last = c;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > IDLE_MS || Date.now() - started > RUN_LIMIT_MS) return;
  }
}

async function main(): Promise<void> {
  // The subscriber in this process shares the load generators' cores, away from the broker's.
  const loadCpus = cpuSet('load');
  if (loadCpus) await promisify(execFile)('taskset', ['-a', '-pc', loadCpus, String(process.pid)]);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-broker-'));
  const servicePassword = newSecret();
  const children: Child[] = [];
  let mosquitto: Mosquitto | undefined;
  let scratch: Scratch | undefined;
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await mosquitto?.stop();
    await scratch?.drop().catch((err: unknown) => log(`could not drop the scratch database: ${String(err)}`));
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`load average before the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes on this machine skew the figures)`);
    log(`bench:broker — ${N_DEVICES} devices × ${PER_DEVICE} messages, QoS ${QOS.join(' and ')}, ${PUBLISHERS} publisher processes, ${ROUNDS} round(s), ${RAW ? 'raw-socket' : 'mqtt.js'} clients`);
    if (process.env.DATABASE_URL) scratch = await scratchDatabase(process.env.DATABASE_URL, 'bench_broker');
    const devicesFile = path.join(tmp, 'devices.json');
    const ours = startChild('broker', 'target.ts', {
      SERVICES: 'broker',
      DATA_DIR: path.join(tmp, 'data'),
      MQTT_SERVICE_PASSWORD: servicePassword,
      BENCH_DEVICES: String(N_DEVICES),
      BENCH_DEVICES_FILE: devicesFile,
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    }, cpuSet('broker'), process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean));
    children.push(ours);
    const ready = await ours.next<{ type: string; mqttPort: number; engine: string }>('ready');
    const devices = JSON.parse(await readFile(devicesFile, 'utf8')) as BenchDevice[];
    log(`our broker: pid ${ours.pid}, port ${ready.mqttPort}, ${devices.length} devices provisioned (${ready.engine} database)`);
    mosquitto = await startMosquitto(devices, servicePassword, cpuSet('broker'));
    log(`mosquitto ${mosquitto.version}: pid ${mosquitto.pid}, port ${mosquitto.port}`);
    const targets: Target[] = [
      { name: 'mosquitto' as const, url: `mqtt://127.0.0.1:${mosquitto.port}`, pid: mosquitto.pid },
      { name: 'ours' as const, url: `mqtt://127.0.0.1:${ready.mqttPort}`, pid: ours.pid },
    ].filter((t) => ONLY.includes(t.name));

    const publishers = Array.from({ length: PUBLISHERS }, (_, i) => startChild(`publisher-${i}`, 'load.ts', {}, cpuSet('load'), process.env.BENCH_LOAD_NODE_ARGS?.split(' ').filter(Boolean)));
    children.push(...publishers);
    await Promise.all(publishers.map((p) => p.next('ready')));
    const shares = publishers.map((_, i) => devices.map((d, index) => ({ ...d, index })).filter((d) => d.index % PUBLISHERS === i));

    const results: Result[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const qos of QOS) {
        // Alternate the order so neither broker always runs on a warmer machine.
        for (const target of round % 2 ? targets : [...targets].reverse()) {
          const profile = PROFILE_DIR && target.name === 'ours' ? { child: ours, file: path.resolve(PROFILE_DIR, `broker-qos${qos}-round${round}.cpuprofile`) } : undefined;
          const r = await measure(target, qos, publishers, shares, servicePassword, profile);
          results.push(r);
          log(`  round ${round} QoS ${qos} ${target.name.padEnd(9)} ${Math.round(r.rate).toLocaleString('en-US').padStart(9)} msg/s  ${r.delivered}/${r.expected} delivered  broker CPU ${r.cpuUsPerMsg.toFixed(1)} µs/msg (${r.cpuPct.toFixed(0)}%), load CPU ${r.loadCpuPct.toFixed(0)}%`);
        }
      }
    }
    report(results);
  } finally {
    await cleanup();
  }
}

function report(results: Result[]): void {
  const best = (b: Result['broker'], qos: 0 | 1) =>
    results.filter((r) => r.broker === b && r.qos === qos).sort((x, y) => y.rate - x.rate)[0];
  const rows: string[][] = [];
  for (const qos of QOS) {
    const m = best('mosquitto', qos);
    const o = best('ours', qos);
    for (const r of [m, o]) {
      if (!r) continue;
      rows.push([
        `QoS ${qos}`,
        r.broker,
        Math.round(r.rate).toLocaleString('en-US'),
        `${r.delivered}/${r.expected}`,
        r.cpuUsPerMsg.toFixed(1),
        r === o && m ? `${(o.rate / m.rate).toFixed(2)}×` : '',
      ]);
    }
  }
  log('');
  log(table(['', 'broker', 'msg/s delivered', 'delivered', 'broker CPU µs/msg', 'ours/mosquitto'], rows));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:broker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { newSecret } from '../core/secrets.js';
import { SERVICE_USER } from '../contract/mqtt/accounts.js';
import { filters, topics } from '../contract/mqtt/topics.js';
import type { Alert } from '../contract/mqtt/alert.js';
import { takeSseMessages } from '../contract/http/sse.js';
import { schedSeconds, startChild, startPlatformChild, startSecondPlatform } from './lib/child.js';
import { scratchDatabase } from './lib/db.js';
import { benchSession } from './lib/session.js';
import { fmtInt, quantile, table } from './lib/report.js';
import { BENCH_ZONE, type BenchDevice } from './lib/workload.js';

/**
 * `npm run bench:latency` — how long an alert takes to reach an officer's live stream (GET
 * /api/v1/stream, server-sent events) while the platform takes background telemetry, beside the same
 * measurement with no background in the same run.
 *
 * The platform runs all its services in one process (broker, ingest, inference, enforcement, API) on a
 * scratch database on DATABASE_URL's server. A probe is an alert published on `v1/alerts/…` with the
 * service account, as inference publishes one (a noise alert in the park square, each in its own
 * incident); its latency runs from the publish to the `case.opened` event carrying its title on the
 * stream of `east.li`, the officer of the team it is routed to. BENCH_PROBES (40) probes, one every
 * BENCH_PROBE_MS (250) ms without waiting for the previous one; a probe not seen within
 * BENCH_PROBE_TIMEOUT_S (60) s counts as lost. Beside each: when the broker delivered the alert to a
 * plain subscriber (the broker's share of the latency), and the platform process's threads' time on a
 * CPU and runnable but waiting for one (/proc schedstat): waiting as long as running means the machine,
 * not the platform, sets the pace.
 *
 * Background: BENCH_RATE (10,000) readings/s from BENCH_DEVICES (1,000) devices over BENCH_LOADERS (2)
 * processes, BENCH_BATCH (10) readings per message as gateways send them (QoS 1, at most 10
 * unacknowledged messages per device: a device whose broker falls behind skips, and the bench says
 * how many), started BENCH_WARMUP_S (10) s before the probes and kept on until they are all seen.
 * BENCH_SERVICES (default all but the simulator) are the platform process's services; BENCH_SECOND_SERVICES
 * runs others in a second process beside it (e.g. `maintenance,broker,ingest` and
 * `inference,enforcement,api`, as `SERVICES=…|…` splits them), connected to the first one's broker.
 */
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const N_DEVICES = Number(process.env.BENCH_DEVICES ?? 1000);
const LOADERS = Number(process.env.BENCH_LOADERS ?? 2);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const PROBES = Number(process.env.BENCH_PROBES ?? 40);
const PROBE_MS = Number(process.env.BENCH_PROBE_MS ?? 250);
const PROBE_TIMEOUT_MS = Number(process.env.BENCH_PROBE_TIMEOUT_S ?? 60) * 1000;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_S ?? 10) * 1000;
const SERVICES = process.env.BENCH_SERVICES ?? 'maintenance,broker,ingest,inference,enforcement,api';
/** A second platform process beside the first (e.g. `inference,enforcement,api` with BENCH_SERVICES=maintenance,broker,ingest), as `SERVICES=…|…` runs them. */
const SECOND_SERVICES = process.env.BENCH_SECOND_SERVICES;
const OFFICER = 'east.li';
const PASSWORD = 'bench-password';

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Ready {
  type: string;
  mqttPort: number;
  httpPort?: number;
  engine: string;
}

/** The officer's live stream: resolves `waitFor(title)` when a `case.opened` with that title arrives. */
async function openStream(http: string, token: string): Promise<{ seen(title: string): Promise<number>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${http}/api/v1/stream?access_token=${encodeURIComponent(token)}`, { signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream: ${res.status}`);
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      const at = performance.now();
      const { messages, rest } = takeSseMessages(buffer + decoder.decode(chunk.value, { stream: true }));
      buffer = rest;
      for (const m of messages) {
        if (m.event !== 'case.opened') continue;
        const title = (m.data.case as { title?: string } | undefined)?.title;
        if (title === undefined) continue;
        const w = waiting.get(title);
        if (w) w(at);
        else arrived.set(title, at);
      }
    }
  })();
  return {
    seen(title) {
      const at = arrived.get(title);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve) => waiting.set(title, resolve));
    },
    close: () => abort.abort(),
  };
}

interface Probes {
  latencies: number[];
  lost: number;
  /** Publish → the broker delivering the alert to a plain subscriber beside the intake (the broker's share). */
  delivered: number[];
}

/** When the broker delivered each probe (by its summary) to the bench's own subscriber on the alerts filter. */
const deliveredAt = new Map<string, number>();

let probeSerial = 0;

/** PROBES alerts, one every PROBE_MS; each one's publish → live event latency. */
async function probe(client: mqtt.MqttClient, stream: Awaited<ReturnType<typeof openStream>>, label: string): Promise<Probes> {
  const out: Probes = { latencies: [], lost: 0, delivered: [] };
  const pending: Promise<void>[] = [];
  for (let i = 0; i < PROBES; i++) {
    const n = ++probeSerial;
    // Each probe an hour after the previous one (device clock), so each opens its own incident and case.
    const at = new Date(Date.UTC(2025, 0, 1) + n * 3_600_000).toISOString();
    const alert: Alert = { id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: BENCH_ZONE, startedAt: at, detectedAt: at, summary: `latency probe ${label} ${n}`, evidence: { laeq: 70 } };
    const sent = performance.now();
    client.publish(topics.alert(alert.zoneId, alert.kind), JSON.stringify(alert), { qos: 1 });
    pending.push(
      Promise.race([stream.seen(alert.summary).then((t) => t - sent), new Promise<null>((r) => setTimeout(() => r(null), PROBE_TIMEOUT_MS))]).then((ms) => {
        if (ms === null) out.lost++;
        else out.latencies.push(ms);
        const at = deliveredAt.get(alert.summary);
        if (at !== undefined) out.delivered.push(at - sent);
      }),
    );
    await new Promise((r) => setTimeout(r, PROBE_MS));
  }
  await Promise.all(pending);
  return out;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('bench:latency needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres): a scratch database is made there for the run');
  await benchSession('latency', async ({ tmp, children, onCleanup }) => {
    if (SECOND_SERVICES && !SERVICES.includes('broker')) throw new Error('with BENCH_SECOND_SERVICES the first process (BENCH_SERVICES) runs the broker');
    log(`bench:latency — ${PROBES} alert probes every ${PROBE_MS} ms; background ${fmtInt(RATE)} readings/s, ${N_DEVICES} devices, ${BATCH} readings per message`);
    const scratch = await scratchDatabase(serverUrl, 'bench_latency');
    onCleanup(() => scratch.drop());
    const servicePassword = newSecret();
    const devicesFile = path.join(tmp, 'devices.json');
    const platform = startPlatformChild(SERVICES, tmp, N_DEVICES, servicePassword, scratch.url);
    children.push(platform);
    const ready = await platform.next<Ready>('ready');
    const devices = JSON.parse(await readFile(devicesFile, 'utf8')) as BenchDevice[];
    const mqttUrl = `mqtt://127.0.0.1:${ready.mqttPort}`;
    log(`platform (${SERVICES}): pid ${platform.pid}, mqtt ${ready.mqttPort}, ${devices.length} devices`);
    const second = SECOND_SERVICES
      ? startSecondPlatform(SECOND_SERVICES, tmp, ready.mqttPort, servicePassword, scratch.url)
      : undefined;
    if (second) children.push(second);
    const ready2 = second ? await second.next<Ready>('ready') : undefined;
    if (second) log(`second process (${SECOND_SERVICES}): pid ${second.pid}`);
    const http = `http://127.0.0.1:${ready.httpPort ?? ready2?.httpPort}`;
    const pids = [platform.pid, ...(second ? [second.pid] : [])];

    const login = await fetch(`${http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: OFFICER, password: PASSWORD }) });
    if (login.status !== 200) throw new Error(`login ${OFFICER}: ${login.status}`);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const stream = await openStream(http, accessToken);
    onCleanup(() => stream.close());
    const client = await mqtt.connectAsync(mqttUrl, { username: SERVICE_USER, password: servicePassword, clientId: `svc-bench-latency-${randomBytes(4).toString('hex')}`, protocolVersion: 4 });
    client.on('message', (_topic, payload) => {
      const summary = (JSON.parse(payload.toString()) as { summary?: string }).summary;
      if (summary !== undefined) deliveredAt.set(summary, performance.now());
    });
    onCleanup(() => client.endAsync(true));
    await client.subscribeAsync(filters.alerts, { qos: 1 });

    // Warm-up probes (JIT, connections, first routes), not counted; then the reference.
    await probe(client, stream, 'warm-up');
    const sched0 = window(pids);
    const reference = await probe(client, stream, 'reference');
    const refCpu = sched0();
    log(`  reference: p50 ${fmtInt(quantile(reference.latencies, 0.5))} ms, p99 ${fmtInt(quantile(reference.latencies, 0.99))} ms, lost ${reference.lost}`);

    const loaders = Array.from({ length: LOADERS }, (_, i) => startChild(`loader-${i}`, 'load.ts', {}));
    children.push(...loaders);
    await Promise.all(loaders.map((l) => l.next('ready')));
    const indexed = devices.map((d, index) => ({ ...d, index }));
    await Promise.all(loaders.map((l, i) => l.request({ type: 'connect', url: mqttUrl, devices: indexed.filter((d) => d.index % LOADERS === i) }, 'connected')));
    const rows0 = await countReadings(scratch.url);
    const started = performance.now();
    let stopPacing = false;
    // Paced in slices, so the background runs for exactly as long as the probes need.
    const paced = (async () => {
      const totals = { sent: 0, skipped: 0 };
      while (!stopPacing) {
        const r = await Promise.all(loaders.map((l) => l.request<{ type: string; sent: number; skipped: number }>({ type: 'paced', rate: RATE / LOADERS, durationMs: 2000, maxInflight: 10, batch: BATCH }, 'paced-done', 120_000)));
        for (const x of r) {
          totals.sent += x.sent;
          totals.skipped += x.skipped;
        }
      }
      return totals;
    })();
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const sched1 = window(pids);
    const loaded = await probe(client, stream, 'background');
    const loadedCpu = sched1();
    stopPacing = true;
    const totals = await paced;
    const seconds = (performance.now() - started) / 1000;
    const committed = (await countReadings(scratch.url)) - rows0;
    const load = os.loadavg()[0] ?? Number.NaN;
    log(`  background: ${fmtInt(totals.sent / seconds)} readings/s offered over ${seconds.toFixed(0)} s (${fmtInt(totals.skipped)} skipped by devices waiting for PUBACKs), ${fmtInt(committed / seconds)} readings/s committed by the end of the probes; load average ${load.toFixed(1)}`);
    log('');
    const row = (name: string, p: Probes, cpu: { run: number; wait: number }) => [
      name, fmtInt(quantile(p.latencies, 0.5)), fmtInt(quantile(p.latencies, 0.99)), fmtInt(Math.max(...p.latencies)), `${p.latencies.length}/${PROBES}`,
      `${fmtInt(quantile(p.delivered, 0.5))} / ${fmtInt(quantile(p.delivered, 0.99))}`, `${cpu.run.toFixed(0)}%`, `${cpu.wait.toFixed(0)}%`,
    ];
    log(table(['alert → live stream', 'p50 ms', 'p99 ms', 'max ms', 'seen', 'of which broker p50 / p99 ms', 'platform on CPU', 'waiting for CPU'], [
      row('reference (no background)', reference, refCpu),
      row(`background ${fmtInt(RATE)} readings/s, batches of ${BATCH}`, loaded, loadedCpu),
    ]));
  });
}

/** From now until the returned function is called: the platform's threads on a CPU, and runnable but waiting for one, in % of the wall time. */
function window(pids: number[]): () => { run: number; wait: number } {
  const sum = () => pids.map(schedSeconds).reduce((a, b) => ({ run: a.run + b.run, wait: a.wait + b.wait }));
  const s0 = sum();
  const t0 = performance.now();
  return () => {
    const s = sum();
    const wall = (performance.now() - t0) / 1000;
    return { run: ((s.run - s0.run) / wall) * 100, wait: ((s.wait - s0.wait) / wall) * 100 };
  };
}

async function countReadings(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM noise_readings');
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:latency failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

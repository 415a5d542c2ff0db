import net from 'node:net';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { inject } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { scratchDatabase } from '../../core/db/scratch.js';
import { startPlatform, type Platform, type PlatformOptions } from '../../platform.js';

export const TEST_PASSWORD = 'test-password-123';

/**
 * A value the run's global set-up provides (test/support/global-setup.ts); none outside Vitest, where
 * scripts such as `npm run screenshots` start a platform from a fresh database.
 */
function provided(key: 'embeddedTemplate' | 'serverTemplate'): string | undefined {
  if (!process.env.VITEST) return undefined;
  return inject(key) || undefined;
}

/**
 * Starts the whole platform for an integration test on ephemeral ports: the embedded database in a
 * temporary directory, or — when DATABASE_URL is set — a fresh database on that server, dropped after.
 */
export interface TestPlatform {
  platform: Platform;
  http: string;
  mqttUrl: string;
  stop(): Promise<void>;
}


/**
 * Puts a copy of the run's migrated embedded database (test/support/global-setup.ts) in `dataDir`,
 * unless it already holds one: the platform then opens it as it opens any existing database.
 */
export async function seedEmbedded(dataDir: string): Promise<void> {
  const template = provided('embeddedTemplate');
  if (!template) return;
  const target = path.join(dataDir, 'pg');
  if (await stat(target).then(() => true, () => false)) return;
  await mkdir(dataDir, { recursive: true });
  // The system's cp: Node's recursive copy of its ~1,400 files took a second of CPU.
  await promisify(execFile)('cp', ['-a', template, target]);
}

export async function startTestPlatform(env: Record<string, string> = {}, options: PlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-test-'));
  const server = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_test', provided('serverTemplate')) : undefined;
  if (!server && !env.DATABASE_URL) await seedEmbedded(env.DATA_DIR ?? dataDir);
  const config = loadConfig({
    MQTT_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    SIMULATOR: 'off',
    DATA_DIR: dataDir,
    ADMIN_PASSWORD: TEST_PASSWORD,
    // Each platform seeds its own demo users: their hashes at the lowest cost (logins then check them fast).
    PASSWORD_HASH_COST: '1024',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(server ? { DATABASE_URL: server.url } : {}),
    ...env,
  });
  const platform = await startPlatform(config, createLogger(config.logLevel), options);
  return {
    platform,
    http: `http://127.0.0.1:${platform.api?.port ?? 0}`,
    mqttUrl: platform.mqttUrl,
    async stop() {
      await platform.stop();
      await server?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls until `check` returns a value that is not undefined/false, or fails after `timeoutMs`. The
 * wait ends as soon as the condition holds; the limit only catches a condition that never comes, and
 * is wide because five test runs sharing two cores make a replay of thousands of readings take minutes.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until `progress()` reaches `target`, for as long as it keeps moving: fails when it has not
 * moved for `stallMs`, or after `limitMs` in all. On a busy machine a long replay is slow but never
 * still; a stall is the failure worth reporting, however long the whole takes.
 */
export async function waitForProgress(progress: () => Promise<number>, target: number, what: string, stallMs = 120_000, limitMs = 1_000_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = await progress();
  let movedAt = Date.now();
  while (last < target) {
    if (Date.now() - movedAt > stallMs) throw new Error(`timed out waiting for ${what}: stalled at ${last} of ${target} for ${stallMs / 1000} s`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last} of ${target} after ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
    const now = await progress();
    if (now !== last) movedAt = Date.now();
    last = now;
  }
}

export async function login(t: TestPlatform, username: string, password = TEST_PASSWORD): Promise<string> {
  const res = await fetch(`${t.http}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function api<T = unknown>(t: TestPlatform, token: string | null, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${t.http}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export interface Provisioned {
  id: string;
  secret: string;
}

export async function provision(t: TestPlatform, adminToken: string, zoneId: string, extra: Record<string, unknown> = {}): Promise<Provisioned> {
  const r = await api<{ device: { id: string }; secret: string }>(t, adminToken, 'POST', '/api/v1/devices', {
    zoneId,
    kind: 'sound_level_meter',
    placementPublished: true,
    calibrationValidUntil: '2099-01-01',
    ...extra,
  });
  if (r.status !== 201) throw new Error(`provision: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.device.id, secret: r.body.secret };
}

/** A real MQTT 3.1.1 device client; resolves once connected, rejects with the broker's refusal. */
export async function connectDevice(t: TestPlatform, username: string, password: string): Promise<MqttClient> {
  const client = mqtt.connect(t.mqttUrl, { username, password, clientId: username, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });
  return client;
}

export async function publishAll(client: MqttClient, messages: readonly { topic: string; payload: string }[]): Promise<void> {
  for (const m of messages) await client.publishAsync(m.topic, m.payload, { qos: 1 });
}

/** The same readings as batch messages (JSON arrays) of up to `size` consecutive readings on one topic. */
export function batched(messages: readonly { topic: string; payload: string }[], size: number): { topic: string; payload: string }[] {
  const out: { topic: string; payloads: string[] }[] = [];
  for (const m of messages) {
    const last = out.at(-1);
    if (last && last.topic === m.topic && last.payloads.length < size) last.payloads.push(m.payload);
    else out.push({ topic: m.topic, payloads: [m.payload] });
  }
  return out.map((b) => ({ topic: b.topic, payload: `[${b.payloads.join(',')}]` }));
}

/** A TCP port free right now on 127.0.0.1 (for a broker that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function count(t: TestPlatform, sql: string, params: unknown[] = []): Promise<number> {
  const r = await t.platform.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
  return r.rows[0]?.n ?? 0;
}

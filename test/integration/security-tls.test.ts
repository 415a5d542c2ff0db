import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_SECRET, startTestBroker, type TestBroker } from '../support/broker.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/**
 * Transport security, with certificates made here by openssl: a test CA, a server certificate for
 * 127.0.0.1, and device certificates whose common name is the device id.
 */
let dir: string;
const file = (name: string) => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and a certificate for `cn`, signed by the test CA (with `ext` as its extensions). */
async function issue(name: string, cn: string, ext: string): Promise<void> {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  await writeFile(file(`${name}.ext`), ext);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rp-tls-'));
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=riverside-test-ca');
  await issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await issue('dev-1', 'tls-dev-1', 'extendedKeyUsage=clientAuth\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Connects over TLS; resolves 'connected' or the refusal's message. */
async function attempt(port: number, opts: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ca: await readFile(file('ca.crt')), ...opts });
  const outcome = await new Promise<string>((resolve) => {
    client.once('connect', () => resolve('connected'));
    client.once('error', (err) => resolve(err.message));
    client.once('close', () => resolve('closed'));
  });
  await client.endAsync(true);
  return outcome;
}

describe('MQTT over TLS', () => {
  let b: TestBroker;
  afterAll(async () => b?.stop());

  it('serves devices over TLS with the configured certificate', async () => {
    b = await startTestBroker('tls', 'tls-service-password', { tls: { port: 0, certFile: file('server.crt'), keyFile: file('server.key') } });
    expect(b.broker.tlsPort).toBeGreaterThan(0);
    expect(await attempt(b.broker.tlsPort, { username: 'any-dev', password: DEVICE_SECRET, clientId: 'any-dev' })).toBe('connected');
    // A client that does not trust the test CA refuses the server.
    const untrusting = await attempt(b.broker.tlsPort, { username: 'any-dev', password: DEVICE_SECRET, clientId: 'any-dev', ca: undefined });
    expect(untrusting).not.toBe('connected');
  });
});

describe('mutual TLS', () => {
  let b: TestBroker;
  afterAll(async () => b?.stop());

  it('admits a device only with a client certificate naming it', async () => {
    b = await startTestBroker('mtls', 'mtls-service-password', { tls: { port: 0, certFile: file('server.crt'), keyFile: file('server.key'), caFile: file('ca.crt') } });
    const cert = await readFile(file('dev-1.crt'));
    const key = await readFile(file('dev-1.key'));
    expect(await attempt(b.broker.tlsPort, { username: 'tls-dev-1', password: DEVICE_SECRET, clientId: 'tls-dev-1', cert, key })).toBe('connected');
    expect(await attempt(b.broker.tlsPort, { username: 'tls-dev-2', password: DEVICE_SECRET, clientId: 'tls-dev-2', cert, key })).not.toBe('connected');
    expect(await b.metrics.value('mqtt_auth_failures_total', { reason: 'certificate_not_this_device' })).toBe(1);
    expect(await attempt(b.broker.tlsPort, { username: 'tls-dev-1', password: DEVICE_SECRET, clientId: 'tls-dev-1' })).not.toBe('connected');
  });
});

describe('HTTPS', () => {
  let t: TestPlatform;
  afterAll(async () => t?.stop());

  it('serves the API over HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set', async () => {
    t = await startTestPlatform({ TLS_CERT_FILE: file('server.crt'), TLS_KEY_FILE: file('server.key'), MQTT_TLS_PORT: '0' });
    const port = t.platform.api!.port;
    const ca = await readFile(file('ca.crt'));
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/healthz', ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(t.platform.broker!.tlsPort).toBeGreaterThan(0);
  });
});

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchDevice } from './workload.js';
import { topics } from '../../contract/mqtt/topics.js';

/**
 * Mosquitto as the reference broker: its own instance (never the system service on 1883) with its own
 * config in a temporary directory, authentication on (a password file made with `mosquitto_passwd`
 * for the same devices and the `service` account) and an ACL limiting each device to
 * `v1/devices/%u/#`. Queue and in-flight limits are lifted so it drops nothing and is not throttled
 * by a 20-message window — its best showing on a burst, as Aedes has no such limits either.
 */
export interface Mosquitto {
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function mosquittoVersion(): Promise<string> {
  // `mosquitto -h` prints its version on the first line and exits 3.
  const r = await run('mosquitto', ['-h']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return /mosquitto version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/** Started as root, mosquitto drops to the `mosquitto` user: its files must belong to that user. */
async function mosquittoOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'mosquitto']), run('id', ['-g', 'mosquitto'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

export async function startMosquitto(devices: readonly BenchDevice[], servicePassword: string, cpus?: string): Promise<Mosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-mosquitto-'));
  const passwd = path.join(dir, 'passwd');
  const acl = path.join(dir, 'acl');
  const conf = path.join(dir, 'mosquitto.conf');
  const port = await freePort();
  await writeFile(passwd, [...devices.map((d) => `${d.id}:${d.secret}`), `service:${servicePassword}`].join('\n') + '\n', { mode: 0o600 });
  await run('mosquitto_passwd', ['-U', passwd]); // hashes every line in place
  await writeFile(acl, ['user service', 'topic readwrite #', '', `pattern readwrite ${topics.devicePrefix('%u')}#`, ''].join('\n'), { mode: 0o600 });
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      'persistence false',
      'max_connections -1',
      'max_queued_messages 0',
      'max_inflight_messages 0',
      // Like our broker, which sets TCP_NODELAY on every connection: replies are not held back by Nagle.
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const owner = await mosquittoOwner();
  if (owner) for (const f of [dir, passwd, acl, conf]) await chown(f, owner.uid, owner.gid);
  const args = ['-c', conf];
  const proc: ChildProcess = cpus ? spawn('taskset', ['-c', cpus, 'mosquitto', ...args], { stdio: 'inherit' }) : spawn('mosquitto', args, { stdio: 'inherit' });
  if (proc.pid === undefined) throw new Error('cannot start mosquitto');
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // Wait until it accepts connections.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (proc.exitCode !== null || i > 100) {
      proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error('mosquitto did not start (see its log above)');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: proc.pid,
    version: await mosquittoVersion(),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { openCase, uploadEvidence } from '../support/cases.js';

/**
 * Tamper detection against the real database: rows of case_events are edited, deleted and reordered
 * behind the application's back (by someone able to switch off the append-only trigger), and both the
 * audit route and `npm run audit:verify` must say which case and which event.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dataDir: string;
let t: TestPlatform;
let admin: string;
const server = process.env.DATABASE_URL !== undefined;

async function start(): Promise<void> {
  t = await startTestPlatform({ SERVICES: 'api', DATA_DIR: dataDir });
  admin = await login(t, 'admin');
}

/** Runs the verify command on the platform's database (the embedded one only while the platform is stopped). */
async function verifyCommand(): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', DATA_DIR: dataDir };
  if (server) env.DATABASE_URL = t.platform.config.database.url;
  else {
    delete env.DATABASE_URL;
    await t.stop();
  }
  try {
    const child = spawn('npm', ['run', '--silent', 'audit:verify'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out };
  } finally {
    if (!server) await start();
  }
}

const fire = (token: string, caseId: string, body: unknown) => api(t, token, 'POST', `/api/v1/cases/${caseId}/transitions`, body);
const audit = async (caseId: string) =>
  (await api<{ verification: { ok: boolean; problems: { kind: string; seq: number; message: string }[] }; events: { seq: number; hash: string; prevHash: string | null }[] }>(t, admin, 'GET', `/api/v1/cases/${caseId}/audit`)).body;
const numberOf = async (caseId: string) => (await t.platform.db.pool.query<{ n: number }>('SELECT number AS n FROM cases WHERE id = $1', [caseId])).rows[0]!.n;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-audit-'));
  await start();
});
afterAll(async () => {
  await t?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('case audit chain', () => {
  it('keeps case events append-only, and detects edited, deleted and reordered events', async () => {
    const officer = await login(t, 'east.li');
    const ids: Record<'intact' | 'edited' | 'deleted' | 'reordered' | 'truncated', string> = { intact: '', edited: '', deleted: '', reordered: '', truncated: '' };
    for (const k of Object.keys(ids) as (keyof typeof ids)[]) {
      ids[k] = await openCase(t);
      for (const body of [{ event: 'accept' }, { event: 'arrive', location: { lat: 32.04, lon: 118.78 }, secondOfficerId: 'u-east-wang' }, { event: 'dismiss', reason: 'nobody there' }]) {
        expect((await fire(officer, ids[k], body)).status).toBe(200);
      }
    }
    // Every case: reported, dispatched, accepted, arrived, dismissed.
    expect((await audit(ids.intact)).events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

    const before = await verifyCommand();
    expect(before.out).toContain('every chain is intact');
    expect(before.code).toBe(0);

    const pool = t.platform.db.pool;
    // The application's own database rules refuse any change...
    await expect(pool.query(`UPDATE case_events SET data = '{}' WHERE case_id = $1`, [ids.edited])).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM case_events WHERE case_id = $1', [ids.deleted])).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE case_events CASCADE')).rejects.toThrow(/append-only/);

    // ...so the tamperer switches them off first.
    await pool.query('ALTER TABLE case_events DISABLE TRIGGER case_events_no_change');
    try {
      await pool.query(`UPDATE case_events SET data = jsonb_set(data, '{reason}', '"the officer was never there"') WHERE case_id = $1 AND seq = 5`, [ids.edited]);
      await pool.query('DELETE FROM case_events WHERE case_id = $1 AND seq = 3', [ids.deleted]);
      for (const [from, to] of [[3, -3], [4, 3], [-3, 4]]) {
        await pool.query('UPDATE case_events SET seq = $3 WHERE case_id = $1 AND seq = $2', [ids.reordered, from, to]);
      }
      await pool.query('DELETE FROM case_events WHERE case_id = $1 AND seq = 5', [ids.truncated]);
    } finally {
      await pool.query('ALTER TABLE case_events ENABLE TRIGGER case_events_no_change');
    }

    expect((await audit(ids.intact)).verification).toEqual({ ok: true, events: 5, problems: [] });
    expect((await audit(ids.edited)).verification.problems).toMatchObject([{ kind: 'edited', seq: 5 }]);
    expect((await audit(ids.deleted)).verification.problems).toMatchObject([{ kind: 'deleted', seq: 3, message: 'event 3 missing' }]);
    expect((await audit(ids.reordered)).verification.problems).toMatchObject([{ kind: 'reordered', seq: 3 }, { kind: 'reordered', seq: 4 }]);
    expect((await audit(ids.truncated)).verification.problems).toMatchObject([{ kind: 'deleted', seq: 5, message: expect.stringContaining('at the end') }]);

    const numbers = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await numberOf(id)] as const)));
    const after = await verifyCommand();
    expect(after.code, after.out).toBe(1);
    expect(after.out).toContain(`TAMPERED case #${numbers.edited} ${ids.edited}: edited at seq 5`);
    expect(after.out).toContain(`TAMPERED case #${numbers.deleted} ${ids.deleted}: deleted at seq 3`);
    expect(after.out).toContain(`TAMPERED case #${numbers.reordered} ${ids.reordered}: reordered at seq 3`);
    expect(after.out).toContain(`TAMPERED case #${numbers.truncated} ${ids.truncated}: deleted at seq 5`);
    expect(after.out).not.toContain(ids.intact);
    expect(after.out).toContain('4 case(s) with tampered events');

    // The chain keeps going after tampering without hiding it: the next event continues from the recorded head.
    const next = await openCase(t);
    expect((await audit(next)).verification.ok).toBe(true);
    expect((await audit(ids.truncated)).verification.ok).toBe(false);
  });

  it('verifies a chain that grows while it is read, without calling the new events inserted', async () => {
    const id = await openCase(t);
    const officer = await login(t, 'east.li');
    for (let i = 0; i < 10; i++) {
      const uploads = Array.from({ length: 4 }, () => uploadEvidence(t, officer, id));
      const checks = Array.from({ length: 4 }, () => audit(id));
      expect((await Promise.all(uploads)).map((u) => u.status)).toEqual([201, 201, 201, 201]);
      for (const checked of await Promise.all(checks)) expect(checked.verification.problems).toEqual([]);
    }
  });
});

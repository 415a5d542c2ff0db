import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { table } from './lib/report.js';

/**
 * `npm run bench:scale` — readings/s through broker → ingest with inference and alert intake running
 * on the same telemetry, in one process and in two (`SERVICES=broker,ingest|inference,enforcement`, as
 * the supervisor runs them), one after the other in the same run: the bench:ingest workload (1,000
 * devices, QoS 1, BENCH_BATCH readings per message) at the same rates for both. Needs DATABASE_URL (two
 * processes share a database server). Every bench:ingest setting applies (BENCH_RATES, BENCH_STEP_S,
 * BENCH_BATCH, …); the default rates are fixed so both layouts see the same offered load.
 */
const LAYOUTS: { name: string; env: Record<string, string> }[] = [
  { name: '1 process: broker,ingest,inference,enforcement', env: { BENCH_SERVICES: 'broker,ingest,inference,enforcement' } },
  { name: '2 processes: broker,ingest | inference,enforcement', env: { BENCH_SERVICES: 'broker,ingest', BENCH_SECOND_SERVICES: 'inference,enforcement' } },
];

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Figures {
  /** Rows committed over the whole run, from the first step's start to the end of the drain. */
  overall: string;
  sustained: string;
  peak: string;
  raw: string;
  peakRatio: string;
}

/** Runs bench:ingest with `env`, echoing its output, and picks its summary lines. */
function run(env: Record<string, string>): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ingest.ts', import.meta.url))], {
      env: { ...process.env, BENCH_RATES: process.env.BENCH_RATES ?? '3000,6000,9000,12000', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench:ingest exited ${code}`));
      const line = (start: string) => out.split('\n').find((l) => l.startsWith(start))?.split(/\s{2,}/) ?? [];
      const sustained = line('ours, sustained');
      const peak = line('ours, peak');
      const raw = line('raw:');
      // Commits may lag a step by more than its length on a loaded machine: the whole run counts them all.
      const drained = /drained in ([\d.]+) s: ([\d,]+) rows committed/.exec(out);
      const steps = out.split('\n').filter((l) => /^ {2}offered /.test(l)).length;
      const stepS = Number(process.env.BENCH_STEP_S ?? 10);
      const overall = drained ? Number(drained[2]!.replaceAll(',', '')) / (steps * stepS + Number(drained[1])) : Number.NaN;
      resolve({ overall: Number.isFinite(overall) ? Math.round(overall).toLocaleString('en-US') : '–', sustained: sustained[1] ?? '–', peak: peak[1] ?? '–', peakRatio: peak[peak.length - 1] ?? '–', raw: raw[1] ?? '–' });
    });
  });
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('bench:scale needs DATABASE_URL (two processes share a database server)');
  log(`bench:scale — load average before the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: string[][] = [];
  for (const layout of LAYOUTS) {
    log(`\n=== ${layout.name}`);
    const f = await run(layout.env);
    rows.push([layout.name, f.overall, f.sustained, f.peak, f.raw, f.peakRatio]);
  }
  log('');
  log(table(['layout', 'whole run readings/s', 'sustained readings/s', 'peak readings/s', 'raw COPY rows/s (same run)', 'peak / raw'], rows));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

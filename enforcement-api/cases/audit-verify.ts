import { MIGRATIONS } from '../../migrations.js';
import { ConfigError, loadConfig } from '../../core/config.js';
import { openDatabase } from '../../core/db/database.js';
import { StartupError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { verifyAllCases, type AuditReport } from './events.js';

/**
 * `npm run audit:verify`: walks every case's event chain in the configured database (DATABASE_URL, or
 * the embedded one in DATA_DIR — stop the platform first, the embedded engine is single-process) and
 * reports every edited, deleted, reordered or inserted event. Exit 0 = intact, 1 = tampering found,
 * 2 = could not check.
 */
export function formatReport(report: AuditReport): string[] {
  const lines = [`audit: ${report.cases} case(s), ${report.events} event(s) checked`];
  for (const c of report.tampered) {
    for (const p of c.problems) lines.push(`TAMPERED case #${c.number} ${c.caseId}: ${p.kind} at seq ${p.seq}: ${p.message}`);
  }
  lines.push(report.tampered.length === 0 ? 'audit: every chain is intact' : `audit: ${report.tampered.length} case(s) with tampered events`);
  return lines;
}

async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn').child({ svc: 'audit' });
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir }, log, MIGRATIONS);
  try {
    const report = await verifyAllCases(db.pool);
    process.stdout.write(`${formatReport(report).join('\n')}\n`);
    return report.tampered.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof ConfigError || err instanceof StartupError;
    process.stderr.write(`error: ${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);

import { ConfigError, loadConfig } from './core/config.js';
import { StartupError } from './core/errors.js';
import { createLogger } from './core/log.js';
import { startPlatform } from './platform.js';

/** `npm start`: every configured service in one process, on embedded defaults. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const platform = await startPlatform(config, log);

  const http = platform.api ? `http://localhost:${platform.api.port}` : undefined;
  const lines = [
    '',
    'Riverside & Park Enforcement Platform is running',
    `  database   ${platform.db.engine}${platform.db.timescale ? ' + TimescaleDB' : ' (native partitioning)'}${platform.db.engine === 'embedded' ? ` in ${config.database.dataDir}` : ''}`,
    ...(platform.broker ? [`  mqtt       mqtt://localhost:${platform.broker.port}  (devices: username = device id, password = its secret)`] : []),
    ...(http ? [`  web        ${http}/`, `  api docs   ${http}/docs`] : []),
    `  services   ${config.services.join(', ')}`,
    platform.adminPassword.source === 'unknown'
      ? '  log in     admin / (the password printed at first start; set ADMIN_PASSWORD on a fresh DATA_DIR to choose it)'
      : `  log in     admin / ${platform.adminPassword.value}   (also officers east.li, river.zhao, fish.liu, ops, review — same password)`,
    '  stop       Ctrl-C',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    platform.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});

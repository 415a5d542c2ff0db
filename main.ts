import { ConfigError, loadConfig } from './core/config.js';
import { StartupError } from './core/errors.js';
import { createLogger } from './core/log.js';
import path from 'node:path';
import { startPlatform, type Platform } from './platform.js';
import { Supervisor, type ReadyMessage } from './supervisor.js';

/** `npm start`: every configured service in one process, on embedded defaults. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  if (config.processGroups.length > 1) {
    // SERVICES with `|`: this process only supervises one child per group (supervisor.ts).
    const supervisor = new Supervisor(config, process.env, log.child({ svc: 'supervisor' }));
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void supervisor.stop();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.exit(await supervisor.run());
  }

  // Signals first: a Ctrl-C during start-up waits for the start, then drains like any other.
  const running: { platform?: Platform; signalled: boolean } = { signalled: false };
  const stopAndExit = (p: Platform) =>
    p.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (running.signalled) return;
    running.signalled = true;
    log.info({ signal }, 'shutting down');
    if (running.platform) void stopAndExit(running.platform);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A child of the supervisor drains and exits when the supervisor is gone (even killed with -9).
  if (process.send) process.on('disconnect', () => shutdown('supervisor gone'));

  const platform = await startPlatform(config, log);
  running.platform = platform;
  if (running.signalled) return void stopAndExit(platform);

  const http = platform.api ? `${config.tls ? 'https' : 'http'}://localhost:${platform.api.port}` : undefined;
  const lines = [
    '',
    'Riverside & Park Enforcement Platform is running',
    `  database   ${platform.db.engine}${platform.db.timescale ? ' + TimescaleDB' : ' (native partitioning)'}${platform.db.engine === 'embedded' ? ` in ${config.database.dataDir}` : ''}`,
    ...(platform.broker ? [`  mqtt       mqtt://localhost:${platform.broker.port}  (devices: username = device id, password = its secret)`] : []),
    ...(platform.broker?.tlsPort ? [`  mqtts      mqtts://localhost:${platform.broker.tlsPort}${config.tls?.mqttCaFile ? '  (client certificate named after the device required)' : ''}`] : []),
    ...(http ? [`  web        ${http}/`, `  api docs   ${http}/docs`] : []),
    `  services   ${config.services.join(', ')}`,
    loginLine(platform.adminPassword.source, platform.adminPassword.value, config.database.dataDir),
    '  stop       Ctrl-C',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const ready: ReadyMessage = { type: 'ready', mqttPort: platform.broker?.port, httpPort: platform.api?.port };
  process.send?.(ready);
}

/**
 * The demo login: the password itself only when it was just generated (the one time it is needed), or
 * when the operator chose it; otherwise where it is kept, so logs and screens do not repeat it.
 */
function loginLine(source: Platform['adminPassword']['source'], value: string, dataDir: string): string {
  const others = '(also officers east.li, river.zhao, fish.liu, ops, review — each their own hash, same password)';
  switch (source) {
    case 'generated':
      return `  log in     admin / ${value}   ${others}; kept in ${path.join(dataDir, 'admin-password')} (mode 0600)`;
    case 'ADMIN_PASSWORD':
      return `  log in     admin / the password set in ADMIN_PASSWORD   ${others}`;
    case 'file':
      return `  log in     admin / the password in ${path.join(dataDir, 'admin-password')}`;
    case 'unknown':
      return '  log in     admin / (the password printed at first start; set ADMIN_PASSWORD on a fresh DATA_DIR to choose it)';
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StartupError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});

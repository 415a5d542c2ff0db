/**
 * `npm run models:retrain -- --model noise-window|fishing|crowding [--epochs N] [--samples N] [--officer-weight W]`:
 * the next version of a model from the officers' verdicts in the configured database (DATABASE_URL,
 * or the embedded one in DATA_DIR — stop the platform first, the embedded engine is single-process)
 * plus the generators' data (retrain.ts). The new version goes to DATA_DIR/models/<name>-<version>/
 * and is registered; with MQTT_URL and MQTT_SERVICE_PASSWORD set it is also rolled out in shadow on
 * the retained control topic, otherwise the command prints the API call that does it.
 */
import { MIGRATIONS } from '../../migrations.js';
import { ConfigError, loadConfig } from '../../core/config.js';
import { openDatabase } from '../../core/db/database.js';
import { StartupError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { connectService } from '../../core/mqtt-client.js';
import { topics } from '../../contract/mqtt/topics.js';
import type { Rollout } from '../../contract/mqtt/control.js';
import { modelDirs } from '../../platform.js';
import { retrain, RETRAIN_DEFAULTS } from './retrain.js';

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function number(argv: readonly string[], name: string, fallback: number): number {
  const v = option(argv, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number, got ${v}`);
  return n;
}

async function main(argv: readonly string[]): Promise<void> {
  const model = option(argv, 'model');
  if (!model) throw new ConfigError('usage: npm run models:retrain -- --model noise-window|fishing|crowding [--epochs N] [--samples N] [--officer-weight W]');
  const config = loadConfig();
  const log = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn').child({ svc: 'retrain' });
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir }, log, MIGRATIONS);
  // The rollout is a retained control message to every inference worker (as the API's rollout route sends it).
  const conn = config.mqtt.url && config.mqtt.servicePassword ? { url: config.mqtt.url, password: config.mqtt.servicePassword } : undefined;
  const client = conn ? connectService(conn, 'model-retrain') : undefined;
  const control = client && {
    setRollout: async (name: string, rollout: Rollout) => void (await (await client).publishAsync(topics.rollout(name), JSON.stringify(rollout), { qos: 1, retain: true })),
    close: async () => (await client).endAsync(),
  };
  try {
    const dirs = modelDirs(config);
    const r = await retrain({
      ...RETRAIN_DEFAULTS,
      pool: db.pool,
      model,
      modelDirs: dirs,
      outDir: dirs[1] as string,
      epochs: number(argv, 'epochs', RETRAIN_DEFAULTS.epochs),
      generatorSamples: number(argv, 'samples', RETRAIN_DEFAULTS.generatorSamples),
      officerWeight: number(argv, 'officer-weight', RETRAIN_DEFAULTS.officerWeight),
      rollout: control ? (name, rollout) => control.setRollout(name, rollout) : undefined,
      log: (msg) => process.stdout.write(`${msg}\n`),
    });
    if (!control) {
      process.stdout.write(
        `to run it in shadow: PUT /api/v1/models/${r.name}/rollout {"active":"${r.previous}","shadow":"${r.version}"} (as admin), ` +
          'or set MQTT_URL and MQTT_SERVICE_PASSWORD and run this again\n',
      );
    }
  } finally {
    await control?.close();
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const known = err instanceof ConfigError || err instanceof StartupError;
    process.stderr.write(`error: ${known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);

/**
 * Writes the training, held-out and validation data of every model (or of the models named on the
 * command line) to `inference/train/.data/`, with `<model>.model.json` for `train.py`. A data set
 * whose recipe (generator and feature sources, seed, sizes) is unchanged is reused, so a rerun only
 * rebuilds what changed; `--rebuild` ignores the cache (the metered scenes of the noise sets are kept:
 * they depend on no feature code); `--split <name>` builds only that split (several can run side by
 * side; `--shard k/n` with it makes only every n-th real source's scenes, for several processes to
 * fill the scene cache, after which a run without it assembles the set). Deterministic: same seeds, same bytes.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, loadOrBuild } from './dataset-io.js';
import { modelJson } from './model-spec.js';
import { selected } from './models.js';

function main(): void {
  const started = Date.now();
  const args = process.argv.slice(2);
  const at = args.indexOf('--split');
  const only = at >= 0 ? args.splice(at, 2)[1] : undefined;
  // --shard k/n: fill this process's share of the cached metered scenes only (no data set written).
  const sh = args.indexOf('--shard');
  const shard = sh >= 0 ? args.splice(sh, 2)[1] : undefined;
  if (shard) process.env.NOISE_SCENE_SHARD = shard;
  const models = selected(args.filter((a) => !a.startsWith('--')));
  if (process.argv.includes('--rebuild')) {
    for (const m of models) for (const split of ['train', 'heldOut', 'validation', 'realTrain', 'realHeldOut']) rmSync(join(DATA_DIR, `${m.name}-${split}.json`), { force: true });
  }
  mkdirSync(DATA_DIR, { recursive: true });
  for (const m of models) {
    writeFileSync(join(DATA_DIR, `${m.name}.model.json`), JSON.stringify(modelJson(m), null, 2) + '\n');
    for (const spec of Object.values(m.data)) if (spec && (only === undefined || spec.split === only)) loadOrBuild(spec, { log: (msg) => console.log(msg), write: shard === undefined });
  }
  console.log(`data sets ready in ${DATA_DIR} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main();

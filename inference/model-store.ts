import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { compareVersions } from '../core/versions.js';
import { ModelCard } from '../contract/model-card.js';

/**
 * Where models live: the committed defaults (`inference/models`) and field-trained ones dropped into
 * `DATA_DIR/models`, each version in a folder of its own (e.g. `DATA_DIR/models/noise-window-2.1.0/`).
 * A model version is a `<name>.card.json` whose card names the ONNX file beside it.
 */
export interface StoredModel {
  name: string;
  version: string;
  dir: string;
  card: ModelCard;
}

export { compareVersions };

async function cardsIn(dir: string, depth: number, found: StoredModel[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // an absent directory holds no models
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory() && depth > 0) await cardsIn(path.join(dir, e.name), depth - 1, found);
    if (!e.isFile() || !e.name.endsWith('.card.json')) continue;
    try {
      const card: unknown = JSON.parse(await readFile(path.join(dir, e.name), 'utf8'));
      if (Value.Check(ModelCard, card) && e.name === `${card.name}.card.json`) found.push({ name: card.name, version: card.version, dir, card });
    } catch {
      // unreadable cards are skipped here; loading that model reports why
    }
  }
}

export async function listModels(dirs: readonly string[]): Promise<StoredModel[]> {
  const found: StoredModel[] = [];
  for (const dir of dirs) await cardsIn(dir, 1, found);
  const seen = new Set<string>();
  return found.filter((m) => {
    const key = `${m.name}@${m.version}`;
    if (seen.has(key)) return false; // the first directory wins
    seen.add(key);
    return true;
  });
}

/** The newest version of a model name, or undefined. */
export function newest(models: readonly StoredModel[], name: string): StoredModel | undefined {
  return models.filter((m) => m.name === name).sort((a, b) => compareVersions(b.version, a.version))[0];
}


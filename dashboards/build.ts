import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { operations } from './operations.js';
import { noise } from './noise.js';
import { riverbank } from './riverbank.js';
import { enforcement } from './enforcement.js';
import { modelQuality } from './model-quality.js';

/**
 * The dashboards as code, rendered to the JSON Grafana's file provider reads. `npm run
 * dashboards:build` writes them; the tests fail when the committed files differ from this output.
 */
export const OUTPUT_DIR = fileURLToPath(new URL('./provisioning/dashboards/riverside', import.meta.url));

export const DASHBOARDS: Record<string, () => { build(): dashboard.Dashboard }> = {
  'operations.json': operations,
  'noise.json': noise,
  'riverbank.json': riverbank,
  'enforcement.json': enforcement,
  'model-quality.json': modelQuality,
};

/** Panels numbered in order (rows included), so links and the JSON stay stable. */
function numbered(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    if (p.type === 'row') for (const inner of (p as dashboard.RowPanel).panels ?? []) inner.id = ++id;
  }
  return d;
}

/** File name → JSON text, the same bytes every time. */
export function render(): Map<string, string> {
  return new Map(Object.entries(DASHBOARDS).map(([file, make]) => [file, `${JSON.stringify(numbered(make().build()), null, 2)}\n`]));
}

async function main(): Promise<void> {
  await mkdir(OUTPUT_DIR, { recursive: true });
  const files = render();
  for (const old of await readdir(OUTPUT_DIR)) if (old.endsWith('.json') && !files.has(old)) await rm(path.join(OUTPUT_DIR, old));
  for (const [file, text] of files) await writeFile(path.join(OUTPUT_DIR, file), text);
  console.log(`${files.size} dashboards written to ${path.relative(process.cwd(), OUTPUT_DIR)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();

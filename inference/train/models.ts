/** The models trained by `npm run models:train`, in training order. */
import { noiseWindowModel } from './recipes-noise.js';
import { fishingModel } from './recipes-fishing.js';
import { crowdingModel } from './recipes-crowding.js';
import type { ModelSpec } from './model-spec.js';

export const MODELS: readonly ModelSpec[] = [noiseWindowModel, fishingModel, crowdingModel];

/** The models named on the command line (all when none). */
export function selected(argv: readonly string[]): ModelSpec[] {
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !MODELS.some((m) => m.name === n));
  if (unknown.length > 0) throw new Error(`unknown model ${unknown.join(', ')} (known: ${MODELS.map((m) => m.name).join(', ')})`);
  return MODELS.filter((m) => names.length === 0 || names.includes(m.name));
}

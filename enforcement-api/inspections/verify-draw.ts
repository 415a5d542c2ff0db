import { verifyDraw, type DrawInputs, type DrawnInspection } from '../domain/draw.js';

/**
 * `npm run inspections:verify -- <plan URL> [commitment seen before the draw]`: fetches a published
 * plan (GET /api/v1/public/inspection-plans/{id}), checks that the SHA-256 of its seed is its
 * commitment (and the one given, if any) and that the seed reproduces its draw. Exit 0 when it does.
 */
interface Published { id: string; rate: number; inputs: DrawInputs; commitment: string; seed: string | null; selected: DrawnInspection[] | null }

const [url, earlier] = process.argv.slice(2);
if (!url) {
  console.error('usage: npm run inspections:verify -- <plan URL> [commitment seen before the draw]');
  process.exit(2);
}
const res = await fetch(url);
if (!res.ok) {
  console.error(`${url}: HTTP ${res.status}`);
  process.exit(2);
}
const plan = (await res.json()) as Published;
if (!plan.seed || !plan.selected) {
  console.log(`plan ${plan.id}: not drawn yet; commitment ${plan.commitment}`);
  process.exit(1);
}
const result = verifyDraw({ ...plan, seed: plan.seed, selected: plan.selected, commitment: earlier ?? plan.commitment });
if (earlier && earlier !== plan.commitment) result.problems.unshift('the published commitment changed since it was first seen');
console.log(result.problems.length === 0
  ? `plan ${plan.id}: verified — SHA-256(seed) = ${plan.commitment}; ${plan.selected.length} of ${plan.inputs.population.length} entities drawn as published`
  : `plan ${plan.id}: NOT verified — ${result.problems.join('; ')}`);
process.exit(result.problems.length === 0 ? 0 : 1);

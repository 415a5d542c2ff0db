import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATED, generateApiTypes } from '../../web/scripts/api-codegen.js';

describe('web app API types', () => {
  it('match the server’s OpenAPI document (run `npm run web:api` and commit when this fails)', async () => {
    const committed = await readFile(GENERATED, 'utf8');
    const fresh = await generateApiTypes();
    expect(committed === fresh, 'web/src/api/generated.ts is stale: run `npm run web:api`').toBe(true);
    // The generator reads the real routes: the transition body is one branch per lifecycle event.
    expect(fresh).toContain('"POST /api/v1/cases/{id}/transitions"');
    expect(fresh).toContain('event: "propose_decision"');
  });
});

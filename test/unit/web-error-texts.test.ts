import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const files = (dir: string) => readdirSync(new URL(dir, root)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);

/**
 * The refusals the screens' users meet: those of the case lifecycle and its legal rules, evidence,
 * inspections, complaints and the device registry. The catalogue administration and the checklist
 * set-up have no screen; VALIDATION is worded by the field it names (web/src/errors.ts).
 */
const SOURCES = [
  'enforcement-api/domain/legal-rules.ts', 'enforcement-api/domain/deadline-extension.ts', 'enforcement-api/domain/case-lifecycle.ts', 'enforcement-api/domain/penalty-notice.ts', ...files('enforcement-api/cases'),
  'enforcement-api/inspections/workflow.ts', 'enforcement-api/inspections/service.ts', 'enforcement-api/inspections/plan-repository.ts',
  'enforcement-api/inspections/entity-repository.ts', ...files('enforcement-api/complaints'), 'enforcement-api/routes/registry.ts',
  'enforcement-api/routes/evidence.ts', 'enforcement-api/routes/cases.ts', 'enforcement-api/routes/inspections.ts',
  'enforcement-api/routes/complaints.ts', 'enforcement-api/routes/legal.ts', 'enforcement-api/legal/statutory-bounds.ts',
];
const WORDED_BY_FIELD = new Set(['VALIDATION']);

describe('refusals in the user\'s language', () => {
  it('has a Chinese and an English text for every code the screens\' users can be refused with', () => {
    const i18n = read('web/src/i18n.ts');
    const texts = new Map([...i18n.matchAll(/^ {2}err_([A-Z_0-9]+): \['((?:[^'\\]|\\.)+)', '((?:[^'\\]|\\.)+)'\]/gm)].map((m) => [m[1]!, [m[2]!, m[3]!]]));
    const codes = new Set(SOURCES.flatMap((f) => [...read(f).matchAll(/(?:AppError\(\d+, |reject\(\d+, )'([A-Z_0-9]+)'/g)].map((m) => m[1]!)));
    expect(codes.size).toBeGreaterThan(60);
    const missing = [...codes].filter((c) => !WORDED_BY_FIELD.has(c) && !texts.has(c)).sort();
    expect(missing).toEqual([]);
    for (const [code, [zh]] of texts) expect(zh, code).toMatch(/[\u4e00-\u9fff]/);
  });
});

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxModel } from '../../inference/onnx-model.js';
import { FISHING_FEATURE_COUNT } from '../../inference/features/fishing.js';
import { MODELS } from './model-helpers.js';

const F = FISHING_FEATURE_COUNT;

describe('OnnxModel loader', () => {
  let dir: string;
  let card: Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onnx-model-'));
    card = JSON.parse(await readFile(join(MODELS, 'fishing.card.json'), 'utf8')) as Record<string, unknown>;
    await copyFile(join(MODELS, 'fishing.onnx'), join(dir, 'fishing.onnx'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withCard = async (patch: Record<string, unknown>, name = 'fishing', width = F): Promise<string> => {
    await writeFile(join(dir, `${name}.card.json`), JSON.stringify({ ...card, ...patch }));
    return OnnxModel.load(dir, name, width).then(
      async (m) => {
        await m.close();
        return 'loaded';
      },
      (err: unknown) => String(err),
    );
  };

  it('loads a valid card and runs batches, returning n × labels probabilities', async () => {
    const m = await OnnxModel.load(MODELS, 'fishing', F);
    try {
      const p = await m.run(new Float32Array(3 * F), 3);
      expect(p).toHaveLength(6);
      for (let i = 0; i < 3; i++) expect((p[2 * i] as number) + (p[2 * i + 1] as number)).toBeCloseTo(1, 5);
      expect(await m.run(new Float32Array(0), 0)).toHaveLength(0);
      await expect(m.run(new Float32Array(F), 2)).rejects.toThrow(new RegExp(`need ${2 * F}`));
      await expect(m.run(new Float32Array(F), 1.5)).rejects.toThrow(RangeError);
      expect(() => m.labelIndex('jazz')).toThrow(/no label jazz/);
    } finally {
      await m.close();
    }
  });

  it('explains what is wrong with a card or a model file', async () => {
    expect(await withCard({ sha256: 'nope', labels: 'fishing' })).toMatch(/invalid model card[\s\S]*(\/sha256|\/labels)/);
    expect(await withCard({})).toBe('loaded');
    expect(await withCard({}, 'fishing', F + 1)).toMatch(new RegExp(`produces ${F + 1} features per row`));
    expect(await withCard({ name: 'other' })).toMatch(/names model other, expected fishing/);
    expect(await withCard({ labels: ['a', 'b', 'c'] })).toMatch(/does not match 3 labels/);
    expect(await withCard({ file: '../fishing.onnx' })).toMatch(/plain file name/);
    expect(await withCard({ file: 'missing.onnx' })).toMatch(/cannot read model/);
    expect(await withCard({ sha256: '0'.repeat(64) })).toMatch(/sha256 mismatch/);
    expect(await withCard({ inputs: [{ name: 'x', shape: ['N', F], dtype: 'float32', normalisation: '' }] })).toMatch(/graph has inputs \[features\]/);
    await expect(OnnxModel.load(dir, 'absent', F)).rejects.toThrow(/cannot read model card/);
  });
});

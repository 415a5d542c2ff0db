import { describe, it, expect } from 'vitest';
import { GROUPS, PACKAGES, RESERVED_PACKAGES, locateSources, missingPackages } from '../../inference/train/real-sources.js';
import { NOISE_CLASSES } from '../../simulator/spectra.js';

const missing = missingPackages();
const skipReason = missing.length > 0 ? `Debian packages not installed: ${missing.join(', ')} (npm run models:train installs them as root)` : '';

describe('real recordings of the noise-window model', () => {
  it('never uses a package reserved for independent validation', () => {
    for (const p of PACKAGES) expect(RESERVED_PACKAGES).not.toContain(p.name);
    for (const g of GROUPS) expect(RESERVED_PACKAGES).not.toContain(g.package);
    for (const g of GROUPS) expect(PACKAGES.map((p) => p.name)).toContain(g.package);
  });

  it('labels every source with a model class and has music and each kind of non-music', () => {
    for (const g of GROUPS) expect(NOISE_CLASSES).toContain(g.cls);
    for (const cls of NOISE_CLASSES) expect(GROUPS.some((g) => g.cls === cls)).toBe(true);
    for (const id of ['helicopter', 'helicopter-hover', 'aircraft', 'aircraft-jet', 'rail', 'thunder', 'hammering', 'buzzsaw', 'children-es', 'speech-en', 'moh-music', 'openclonk-music']) expect(GROUPS.map((g) => g.id)).toContain(id);
  });

  it.skipIf(missing.length > 0)(`puts every recording in exactly one split, music and non-music in both ${skipReason}`, () => {
    const { files, versions } = locateSources(undefined, false);
    const split = new Map<string, string>();
    for (const f of files) {
      const before = split.get(f.path);
      if (before) expect(f.split).toBe(before); // a file in two sources (children from speech) keeps its split
      split.set(f.path, f.split);
    }
    for (const s of ['train', 'test']) {
      expect(files.some((f) => f.split === s && f.group.cls === 'music')).toBe(true);
      expect(files.some((f) => f.split === s && f.group.cls !== 'music')).toBe(true);
    }
    for (const p of PACKAGES) expect(versions[p.name]).toMatch(/\d/);
  });
});

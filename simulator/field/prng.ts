/**
 * The field scenes' own random source (xoshiro128**, seeded through splitmix32), kept apart from
 * core/rng.ts so the independent scene generator shares no code with the training generators.
 */
export class FieldRandom {
  private s: Uint32Array;

  constructor(seed: number) {
    let x = seed >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = Uint32Array.from([split(), split(), split(), split()]);
  }

  /** Uniform in [0, 1). */
  u(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
    const t = ((s[1] as number) << 9) >>> 0;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return r / 4294967296;
  }

  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.u();
  }

  chance(p: number): boolean {
    return this.u() < p;
  }

  /** Gaussian by the polar method. */
  gauss(mean = 0, sd = 1): number {
    for (;;) {
      const a = 2 * this.u() - 1;
      const b = 2 * this.u() - 1;
      const q = a * a + b * b;
      if (q > 0 && q < 1) return mean + sd * a * Math.sqrt((-2 * Math.log(q)) / q);
    }
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.u());
  }

  /** Poisson count (Knuth for small means, normal approximation above 40). */
  poisson(mean: number): number {
    if (mean > 40) return Math.max(0, Math.round(this.gauss(mean, Math.sqrt(mean))));
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.u();
    while (p > l) {
      k++;
      p *= this.u();
    }
    return k;
  }

  choose<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.u() * xs.length)] as T;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

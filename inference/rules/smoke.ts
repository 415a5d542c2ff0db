/**
 * Smoke and fire from one detector's readings, on the detector's own clock (pure; one instance per
 * device). Thresholds follow real detectors: photoelectric smoke detectors listed to UL 268 / EN 54-7
 * alarm between about 0.7 and 13 %/m obscuration (0.2–4 %/ft), heat detectors to UL 521 at a fixed
 * 57 °C (135 °F) or a rate of rise of 8.3 °C (15 °F) per minute.
 *
 * A reading is *smoke* when its obscuration reaches `alarmObscuration`, *heat* when its temperature
 * reaches `fixedTempC` or its rate of rise reaches `rateOfRiseCPerMin`. An alarm needs
 * - smoke corroborated by heat on `confirmReadings` consecutive readings (a fire: seconds), or
 * - smoke alone on `persistReadings` consecutive readings spanning at least `persistS` (a smouldering
 *   fire; dust puffs and steam from a vendor's steamer pass sooner), or
 * - the fixed temperature on `confirmReadings` consecutive readings (a fire with little smoke).
 * A single spike of dust or steam raises nothing. Once alarmed, the episode lasts until obscuration is
 * below the lower `clearObscuration`, the temperature below the fixed threshold and the rise below its
 * threshold on `clearReadings` consecutive readings (hysteresis): smoke that thins and thickens again
 * stays one alarm, and only a rise after the clear is a new one.
 */
export interface SmokeRuleConfig {
  alarmObscuration: number;
  clearObscuration: number;
  fixedTempC: number;
  rateOfRiseCPerMin: number;
  confirmReadings: number;
  persistReadings: number;
  persistS: number;
  clearReadings: number;
}

export interface SmokeSample {
  /** Device time, ms. */
  t: number;
  obscuration: number;
  temperatureC: number;
  /** The device's own rate of rise (°C/min), when it reports one. */
  rateOfRiseCPerMin?: number;
}

export type SmokeBasis = 'smoke_and_heat' | 'persistent_smoke' | 'heat';

export type SmokeStep =
  | { event: null }
  | { event: 'alarm'; startedAt: number; basis: SmokeBasis; rateOfRise: number | null }
  | { event: 'ongoing'; rateOfRise: number | null }
  | { event: 'cleared'; startedAt: number };

/**
 * The rate of rise is measured against the newest reading at least 20 s old (and at most a minute:
 * older readings are not kept), as a rate-of-rise element responds over tens of seconds.
 */
const ROR_LOOKBACK_MS = 60_000;
const ROR_MIN_SPAN_MS = 20_000;
/** A detector silent this long starts its counts afresh (nothing carries over a gap). */
export const SMOKE_MAX_GAP_MS = 120_000;
/** Readings kept for the alert's evidence. */
const KEPT = 24;

export interface SmokeReadingRecord extends SmokeSample {
  rateOfRise: number | null;
}

export class SmokeDetector {
  private lastT = -Infinity;
  private temps: { t: number; c: number }[] = [];
  private corroborated = 0;
  private hot = 0;
  private smoke: { n: number; since: number } | null = null;
  private runStart: number | null = null;
  private calm = 0;
  private alarmStart: number | null = null;
  /** The newest readings, oldest first, for the evidence. */
  readonly recent: SmokeReadingRecord[] = [];

  constructor(private readonly cfg: SmokeRuleConfig) {}

  get alarmed(): boolean {
    return this.alarmStart !== null;
  }

  /** The rate of rise at `t` from the detector's own readings (null until they span 20 s). */
  private rateOfRise(s: SmokeSample): number | null {
    if (s.rateOfRiseCPerMin !== undefined) return s.rateOfRiseCPerMin;
    const ref = this.temps.findLast((x) => s.t - x.t >= ROR_MIN_SPAN_MS && s.t - x.t <= ROR_LOOKBACK_MS);
    if (!ref) return null;
    return ((s.temperatureC - ref.c) / (s.t - ref.t)) * 60_000;
  }

  observe(s: SmokeSample): SmokeStep {
    if (s.t <= this.lastT) return { event: null }; // a repeated or late reading
    if (s.t - this.lastT > SMOKE_MAX_GAP_MS) this.resetRuns(true);
    this.lastT = s.t;
    const ror = this.rateOfRise(s);
    this.temps.push({ t: s.t, c: s.temperatureC });
    while (this.temps.length > 0 && s.t - (this.temps[0] as { t: number }).t > ROR_LOOKBACK_MS) this.temps.shift();
    this.recent.push({ ...s, rateOfRise: ror === null ? null : Math.round(ror * 10) / 10 });
    if (this.recent.length > KEPT) this.recent.shift();

    const c = this.cfg;
    const isSmoke = s.obscuration >= c.alarmObscuration;
    const isHot = s.temperatureC >= c.fixedTempC;
    const rising = ror !== null && ror >= c.rateOfRiseCPerMin;
    const heat = isHot || rising;

    if (this.alarmStart !== null) {
      const quiet = s.obscuration < c.clearObscuration && !heat;
      this.calm = quiet ? this.calm + 1 : 0;
      if (this.calm < c.clearReadings) return { event: 'ongoing', rateOfRise: ror };
      const startedAt = this.alarmStart;
      this.alarmStart = null;
      this.resetRuns(false);
      return { event: 'cleared', startedAt };
    }

    this.corroborated = isSmoke && heat ? this.corroborated + 1 : 0;
    this.hot = isHot ? this.hot + 1 : 0;
    this.smoke = isSmoke ? { n: (this.smoke?.n ?? 0) + 1, since: this.smoke?.since ?? s.t } : null;
    this.runStart = isSmoke || heat ? (this.runStart ?? s.t) : null;
    let basis: SmokeBasis | null = null;
    if (this.corroborated >= c.confirmReadings) basis = 'smoke_and_heat';
    else if (this.smoke && this.smoke.n >= c.persistReadings && s.t - this.smoke.since >= c.persistS * 1000) basis = 'persistent_smoke';
    else if (this.hot >= c.confirmReadings) basis = 'heat';
    if (basis === null) return { event: null };
    this.alarmStart = this.runStart ?? s.t;
    this.calm = 0;
    return { event: 'alarm', startedAt: this.alarmStart, basis, rateOfRise: ror };
  }

  private resetRuns(history: boolean): void {
    this.corroborated = 0;
    this.hot = 0;
    this.smoke = null;
    this.runStart = null;
    this.calm = 0;
    if (history) {
      this.temps = [];
      this.recent.length = 0;
      this.alarmStart = null;
    }
  }
}

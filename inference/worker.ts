import type { MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { decodeTelemetryMessage, type DecodeLimits, type DecodedMessage } from '../core/telemetry-decode.js';
import type { LocalDelivery } from '../core/local-delivery.js';
import type { Alert } from '../contract/mqtt/alert.js';
import { filters, parseTopic, topics } from '../contract/mqtt/topics.js';
import { Rollout } from '../contract/mqtt/control.js';
import { Value } from '@sinclair/typebox/value';
import { ZoneSchedule } from '../core/domain/zone-rules.js';
import type { DeviceContext } from '../core/repos/devices.js';
import type { Reading } from '../contract/mqtt/telemetry.js';
import { LookupCache } from '../core/lookup-cache.js';
import type { DetectorConfig } from './noise-detector.js';
import { NOISE_WINDOW_FEATURE_COUNT } from './features/noise.js';
import { FISHING_FEATURE_COUNT } from './features/fishing.js';
import { CROWD_FEATURE_COUNT } from './features/crowding.js';
import { ModelRegistry, type ModelSlot } from './model-registry.js';
import { listModels } from './model-store.js';
import { Batcher } from './batcher.js';
import { SpeakerController, type SpeakerOptions } from './actuation.js';
import type { InferenceRepository } from './repository.js';
import { NoisePipeline, NOISE_MODEL } from './pipelines/noise.js';
import { FishingPipeline, FISHING_MODEL, type FishingOptions } from './pipelines/fishing.js';
import { CrowdingPipeline, CROWD_MODEL, type CrowdingOptions } from './pipelines/crowding.js';
import type { PipelineContext } from './pipelines/context.js';
import { IntrusionPipeline, type IntrusionOptions } from './pipelines/intrusion.js';
import { SmokePipeline, type SmokeOptions } from './pipelines/smoke.js';
import { ZoneLeases } from './leases.js';
import type { JudgedMark, LeaseRepository, PassedOver } from './lease-repository.js';

export { alertId } from './pipelines/context.js';

/** How long a zone taken over waits (its live readings held) before reading what was stored. */
const REBUILD_SETTLE_MS = 1000;
/**
 * A zone taken over is judged once the store has caught up: every reading this worker saw published
 * for it while another worker held it is stored, and the zone's stored counts have not changed for
 * this long (polled every REBUILD_POLL_MS), or at most max(REBUILD_WAIT_MIN_MS, two lease periods).
 */
const REBUILD_STABLE_MS = 1000;
const REBUILD_POLL_MS = 250;
const REBUILD_WAIT_MIN_MS = 10_000;
/** How often the devices' judged marks are written (one statement for all), and rows unjudged for long pruned. */
const JUDGED_FLUSH_MS = 500;
const JUDGED_PRUNE_MS = 10 * 60_000;

const TELEMETRY = (['noise', 'tracks', 'people', 'smoke'] as const).map((s) => filters.telemetryOf(s));
const ACKS = filters.commandAcks;
const CONTROL = filters.rollouts;
const RULES_CHANGED = filters.rulesChanged;

export interface WorkerOptions {
  limits: DecodeLimits;
  noise: Omit<DetectorConfig, 'musicOn' | 'musicOff'>;
  fishing: FishingOptions;
  crowding: CrowdingOptions;
  intrusion: IntrusionOptions;
  smoke: SmokeOptions;
  speakers: SpeakerOptions;
  maxBatch: number;
  maxWaitMs: number;
  modelDirs: readonly string[];
  /** How often the model folders are scanned and their versions registered in the database. */
  modelScanS: number;
  rulesRefreshS: number;
  /** Zone leases: how long one lasts unrenewed, and how far back a taken-over zone's readings are replayed. */
  leaseS: number;
  rebuildS: number;
}

/**
 * Back from a lost broker connection (at `at`): per zone and `deviceId|stream`, the first reading
 * received live since (lowest seq, with its time).
 */
interface Resumed {
  at: number;
  zones: Map<string, Map<string, { seq: number; ts: Date }>>;
}

/** Each of a device's readings but status, with its zone's entries in `byZone` (created if missing) and its `deviceId|stream` key. */
function eachStream<T>(byZone: Map<string, Map<string, T>>, device: DeviceContext, readings: readonly Reading[], visit: (zone: Map<string, T>, key: string, r: Reading) => void): void {
  let zone = byZone.get(device.zoneId);
  if (!zone) byZone.set(device.zoneId, (zone = new Map()));
  for (const r of readings) if (r.stream !== 'status') visit(zone, `${device.id}|${r.stream}`, r);
}

/** One zone's pipelines: its devices' windows, episodes and ladders, on the worker holding its lease. */
interface ZoneState {
  noise: NoisePipeline;
  fishing: FishingPipeline;
  crowding: CrowdingPipeline;
  intrusion: IntrusionPipeline;
  smoke: SmokePipeline;
  /** While the zone's stored readings are replayed: live readings wait here. */
  waiting?: { device: DeviceContext; readings: Reading[] }[];
  /** Newest reading time replayed per device and stream (live readings up to it were replayed already); set while the stored readings are replayed. */
  replayed?: Map<string, number>;
  /** The start of the replayed period (readings' own time): a waiting reading older than it was not replayed. */
  replayedFrom?: number;
  /**
   * `silent` while stored readings a worker judged before rebuild the zone's state: their alerts went
   * out then, and no loudspeaker command is sent (commands already sent count as played).
   */
  phase?: 'silent';
}

export interface WorkerDevices {
  get(id: string): Promise<DeviceContext | null>;
  speakersInZone(zoneId: string): Promise<DeviceContext[]>;
  /** The zone rules and holiday calendars (reloaded every `rulesRefreshS` and on `v1/control/rules`). */
  schedule(): Promise<ZoneSchedule>;
}

/**
 * The inference worker: noise, track and people telemetry → per-device / per-track / per-zone feature
 * windows → one batched onnxruntime session per model → decision rules → alerts on `v1/alerts/…`;
 * tracks also go to the intrusion watch (closed zones) and smoke readings to the smoke rules (no model),
 * loudspeaker commands, and shadow results. Models hot-swap on the retained `v1/control/models/{name}`.
 */
export class InferenceWorker {
  private client?: MqttClient;
  private readonly registry: ModelRegistry;
  private readonly batchers = new Map<string, Batcher>();
  private readonly contexts: LookupCache<DeviceContext>;
  private readonly zones = new Map<string, ZoneState>();
  private ctx?: PipelineContext;
  private leases?: ZoneLeases;
  private speakers?: SpeakerController;
  private pending = new Set<Promise<void>>();
  private arrivals: Promise<void> = Promise.resolve();
  private readonly processed;
  private readonly dropped;
  private readonly alerts;
  private readonly rulesReloaded;
  private readonly shadowAlerts;

  private schedule: ZoneSchedule = ZoneSchedule.EMPTY;
  private rulesTimer?: NodeJS.Timeout;
  private scanTimer?: NodeJS.Timeout;
  private judgedTimer?: NodeJS.Timeout;
  /** Devices' streams judged since the last write, keyed `deviceId|stream`. */
  private judgedMarks = new Map<string, JudgedMark>();
  private judgedWrite: Promise<void> = Promise.resolve();
  private judgedPrunedAt = 0;
  /**
   * Readings of zones another worker holds, seen here and passed over, per zone and `deviceId|stream`
   * (with the newest seq, so a redelivery is not counted twice): kept for two generations of two
   * lease periods each, what a take-over waits to find stored. One entry per device stream.
   */
  private passedOver = new Map<string, Map<string, PassedOver & { seq: number }>>();
  private passedOverBefore = new Map<string, Map<string, PassedOver & { seq: number }>>();
  private passedOverTimer?: NodeJS.Timeout;
  /**
   * Back from a lost broker connection: the first reading of each device stream received live since.
   * What was published while the connection was down never reached this worker, so a zone is judged
   * from the store only once the store reaches these readings: no gap between what is stored and what
   * arrives live. Kept as long as the passed-over readings are.
   */
  private resumed?: Resumed;

  constructor(
    private readonly conn: ServiceConnection,
    private readonly devices: WorkerDevices,
    private readonly repo: InferenceRepository,
    private readonly leaseRepo: LeaseRepository,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** The broker in this process, handing telemetry over decoded (core/local-delivery.ts); else MQTT. */
    private readonly local?: LocalDelivery,
  ) {
    this.registry = new ModelRegistry(opts.modelDirs, log);
    this.contexts = new LookupCache((id) => devices.get(id));
    this.processed = metrics.counter('inference_readings_total', 'readings scored', ['stream']);
    this.dropped = metrics.counter('inference_dropped_total', 'readings not scored', ['reason']);
    this.alerts = metrics.counter('inference_alerts_total', 'alerts emitted', ['kind']);
    this.rulesReloaded = metrics.counter('inference_rules_reloaded_total', 'zone rule reloads (timer or the rules-changed announcement)');
    this.shadowAlerts = metrics.counter('inference_shadow_alerts_total', 'alerts a shadow model would have raised', ['kind']);
  }

  get ready(): boolean {
    return this.client?.connected === true && this.ctx !== undefined;
  }

  /** Loaded versions, for /readyz and tests. */
  models(): Record<string, { active: string; shadow: string | null }> {
    const out: Record<string, { active: string; shadow: string | null }> = {};
    for (const name of [NOISE_MODEL, FISHING_MODEL, CROWD_MODEL]) {
      const s = this.registry.slot(name);
      if (s) out[name] = { active: s.active.card.version, shadow: s.shadow?.card.version ?? null };
    }
    return out;
  }

  async start(): Promise<void> {
    for (const [name, width] of [[NOISE_MODEL, NOISE_WINDOW_FEATURE_COUNT], [FISHING_MODEL, FISHING_FEATURE_COUNT], [CROWD_MODEL, CROWD_FEATURE_COUNT]] as const) {
      await this.registry.load(name, width);
      this.batchers.set(name, new Batcher(this.registry, name, this.opts.maxBatch, this.opts.maxWaitMs));
    }
    await this.registerModels();
    this.scanTimer = setInterval(() => void this.registerModels(), this.opts.modelScanS * 1000);
    this.scanTimer.unref();
    this.schedule = await this.devices.schedule();
    this.rulesTimer = setInterval(() => void this.reloadRules(), this.opts.rulesRefreshS * 1000);
    this.rulesTimer.unref();
    const client = await connectService(this.conn, 'inference');
    this.client = client;
    this.speakers = new SpeakerController((topic, payload) => client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined), this.repo, this.opts.speakers, this.log, this.metrics);
    const ctx: PipelineContext = {
      emit: (a) => this.emit(a),
      recordShadow: async (a) => {
        await this.repo.shadowAlert(a);
        this.shadowAlerts.inc({ kind: a.kind });
      },
      speakers: this.speakers,
      speakersInZone: (zoneId) => this.devices.speakersInZone(zoneId),
      rules: () => this.schedule,
      log: this.log,
    };
    this.ctx = ctx;
    this.speakers.replaying = (zoneId) => this.zones.get(zoneId)?.phase !== undefined;
    this.judgedTimer = setInterval(() => void this.writeJudged(), JUDGED_FLUSH_MS);
    this.judgedTimer.unref();
    this.passedOverTimer = setInterval(() => {
      this.passedOverBefore = this.passedOver;
      this.passedOver = new Map();
    }, 2 * this.opts.leaseS * 1000);
    this.passedOverTimer.unref();
    this.leases = new ZoneLeases(this.leaseRepo, this.opts.leaseS, { acquired: (z) => this.acquired(z), lost: (z) => this.lost(z) }, this.log);
    await this.leases.start();
    // Back from a lost connection (its broker node died): what was published meanwhile never reached
    // this worker's session, so its zones are rebuilt from the stored readings, as on a take-over,
    // once the store holds the first reading of each device stream received live since.
    client.on('connect', () => {
      this.resumed = { at: Date.now(), zones: new Map() };
      if (this.leases && this.leases.zones.length > 0) this.acquired(this.leases.zones);
    });
    client.on('message', (topic, payload) => this.track(this.route(topic, payload), topic));
    await client.subscribeAsync(this.subscriptions(), { qos: 1 });
    this.local?.attachInference((decoded) => this.track(this.judge(decoded), 'telemetry'));
    this.log.info({ models: this.models(), worker: this.leases.worker, zones: this.leases.zones.length }, 'inference worker subscribed');
  }

  /** Telemetry comes over MQTT unless the broker in this process hands it over. */
  private subscriptions(): string[] {
    return this.local ? [ACKS, CONTROL, RULES_CHANGED] : [...TELEMETRY, ACKS, CONTROL, RULES_CHANGED];
  }

  private track(work: Promise<void>, topic: string): void {
    const p = work.catch((err: unknown) => this.log.error({ err, topic }, 'inference message failed'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Fresh pipelines for one zone. */
  private pipelines(): ZoneState {
    const ctx = this.ctx as PipelineContext;
    const slotOf = (name: string) => () => this.registry.slot(name) as ModelSlot;
    return {
      noise: new NoisePipeline(this.batchers.get(NOISE_MODEL) as Batcher, slotOf(NOISE_MODEL), this.opts.noise, ctx),
      fishing: new FishingPipeline(this.batchers.get(FISHING_MODEL) as Batcher, slotOf(FISHING_MODEL), this.opts.fishing, ctx),
      crowding: new CrowdingPipeline(this.batchers.get(CROWD_MODEL) as Batcher, slotOf(CROWD_MODEL), ctx, this.opts.crowding),
      intrusion: new IntrusionPipeline(this.opts.intrusion, ctx),
      smoke: new SmokePipeline(this.opts.smoke, ctx),
    };
  }

  /**
   * Zones taken (at start, from a dead or leaving worker, or new): fresh pipelines, rebuilt from the
   * zone's stored readings of the last `rebuildS` seconds while its live readings wait, in two phases
   * per device and stream. Readings up to where a worker judged them before (`inference_judged`) are
   * replayed silently: they rebuild windows, tracks, episodes and ladders (commands already sent count
   * as played), and no alert or command goes out again. Readings stored after that, and all of a device
   * nobody has recorded judging — the previous worker died or lost its connection before it judged them,
   * or before its first mark was written — are judged live, so a ladder continues where the previous
   * worker left it and nothing is missed (what it had sent comes out again under the same ids, which
   * the intake and the devices keep once).
   */
  private acquired(zones: readonly string[]): void {
    for (const zoneId of zones) {
      const state: ZoneState = { ...this.pipelines(), waiting: [], replayed: new Map(), phase: 'silent' };
      this.zones.set(zoneId, state);
      const p = this.rebuild(zoneId, state).catch((err: unknown) => this.log.error({ err, zone: zoneId }, 'zone state could not be rebuilt; judging live readings only'));
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private lost(zones: readonly string[]): void {
    for (const z of zones) this.zones.delete(z);
  }

  private async rebuild(zoneId: string, state: ZoneState): Promise<void> {
    try {
      // Readings published just before the take-over are still on their way into the database.
      await new Promise((r) => setTimeout(r, REBUILD_SETTLE_MS));
      // Commands the previous owner stored in its last moments, never acknowledged: it may have died (or
      // its broker node) before they reached the device. Sent again under the same id, which a device
      // that did get them ignores.
      await this.resendUnacked(zoneId);
      // Readings acknowledged before the take-over may still be on their way into the store (an ingest
      // catching up, or reconnecting to another broker node with its backlog): judged from a store with
      // a hole, an episode would be cut in two and its ladder lost.
      const since = await this.leaseRepo.replayedSince(this.opts.rebuildS);
      state.replayedFrom = since.getTime();
      if (this.opts.rebuildS > 0) await this.storeCaughtUp(zoneId, since);
      // The judged marks first: a reading stored after them and judged meanwhile is judged again (the
      // same alert and command ids), never skipped.
      const judged = this.opts.rebuildS > 0 ? await this.leaseRepo.judged(zoneId) : new Map<string, number>();
      const stored = this.opts.rebuildS > 0 ? await this.leaseRepo.storedReadings(zoneId, since) : [];
      const replayed = state.replayed as Map<string, number>;
      const unjudged: { device: DeviceContext; reading: Reading }[] = [];
      const feed = async (items: { device: DeviceContext; reading: Reading }[]) => {
        // Fed as a batch message's readings are: each enters its pipeline in order before the first await.
        for (let i = 0; i < items.length; i += 2000) {
          await Promise.all(items.slice(i, i + 2000).map(({ device, reading }) => this.feedZone(state, device, reading)));
        }
      };
      const silent: { device: DeviceContext; reading: Reading }[] = [];
      for (const r of stored) {
        const device = await this.contexts.get(r.deviceId);
        if (!device || device.zoneId !== zoneId) continue;
        const key = `${r.deviceId}|${r.stream}`;
        replayed.set(key, Math.max(replayed.get(key) ?? 0, r.ts.getTime()));
        const upTo = judged.get(key);
        (upTo !== undefined && r.ts.getTime() <= upTo ? silent : unjudged).push({ device, reading: r });
      }
      // Each device's readings fall in one group, or judged then unjudged: each keeps its own order.
      await feed(silent);
      state.phase = undefined;
      await feed(unjudged);
      if (stored.length > 0) this.log.info({ zone: zoneId, readings: stored.length, judgedLive: unjudged.length }, 'zone state rebuilt from stored readings');
    } finally {
      state.phase = undefined;
      // Live readings keep queueing behind the waiting ones until none is left, so they keep their order.
      const waiting = state.waiting ?? [];
      const replayed = state.replayed as Map<string, number>;
      state.replayed = undefined;
      for (let w = waiting.shift(); w; w = waiting.shift()) {
        const device = w.device;
        const fresh = w.readings.filter((r) => r.ts.getTime() > (replayed.get(`${device.id}|${r.stream}`) ?? 0) || r.ts.getTime() < (state.replayedFrom ?? 0));
        await Promise.all(fresh.map((r) => this.feedZone(state, device, r)));
      }
      state.waiting = undefined;
    }
  }

  private async storeCaughtUp(zoneId: string, since: Date): Promise<void> {
    const spans = new Map<string, PassedOver>();
    // Older than the replayed period (a device replaying old data): not looked for.
    const oldest = since.getTime() + 60_000;
    for (const gen of [this.passedOverBefore.get(zoneId), this.passedOver.get(zoneId)]) {
      for (const [key, p] of gen ?? []) {
        if (p.from.getTime() < oldest) continue;
        const had = spans.get(key);
        spans.set(key, had ? { ...had, from: had.from < p.from ? had.from : p.from, to: had.to > p.to ? had.to : p.to, n: had.n + p.n } : { deviceId: p.deviceId, stream: p.stream, from: p.from, to: p.to, n: p.n });
      }
    }
    this.passedOver.delete(zoneId);
    this.passedOverBefore.delete(zoneId);
    const started = Date.now();
    const deadline = started + Math.max(REBUILD_WAIT_MIN_MS, 2 * this.opts.leaseS * 1000);
    const cutoffs = new Map<string, Date>();
    let last = '';
    let stableSince = started;
    for (;;) {
      const progress = await this.leaseRepo.storedProgress(zoneId, since, cutoffs, [...spans.values()]);
      // Each stream's count up to its newest reading when first seen: a hole filled later changes it,
      // readings sent since do not.
      let signature = '';
      for (const [key, p] of [...progress].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!cutoffs.has(key)) cutoffs.set(key, p.newest);
        signature += `${key}:${p.settled};`;
      }
      if (signature !== last) {
        last = signature;
        stableSince = Date.now();
      }
      const missing = [...spans].filter(([key, s]) => (progress.get(key)?.spanned ?? 0) < s.n);
      // Back from a lost connection, what was published meanwhile reached only the store: it must
      // reach the first reading received live since, per device stream (live ones keep arriving).
      const live = [...(this.sinceReconnect()?.zones.get(zoneId) ?? [])].filter(([, first]) => first.ts.getTime() >= oldest);
      const gaps = live.map(([key, first]) => [key, first.seq] as const).filter(([key, seq]) => (progress.get(key)?.newestSeq ?? -1) < seq);
      if (missing.length === 0 && gaps.length === 0 && Date.now() - stableSince >= REBUILD_STABLE_MS) return;
      if (Date.now() >= deadline) {
        this.log.warn(
          {
            zone: zoneId,
            waitedMs: Date.now() - started,
            missing: missing.map(([key, s]) => ({ stream: key, seen: s.n, stored: progress.get(key)?.spanned ?? 0 })),
            unreached: gaps.map(([key, seq]) => ({ stream: key, firstLiveSeq: seq, storedUpToSeq: progress.get(key)?.newestSeq ?? null })),
          },
          'stored readings still incomplete after a take-over; judging what is stored',
        );
        return;
      }
      await new Promise((r) => setTimeout(r, REBUILD_POLL_MS));
    }
  }

  /** The first live readings since the last reconnect, forgotten after four lease periods (as passed-over readings are). */
  private sinceReconnect(): Resumed | undefined {
    if (this.resumed && Date.now() - this.resumed.at > 4 * this.opts.leaseS * 1000) this.resumed = undefined;
    return this.resumed;
  }

  /** A reading of a zone another worker holds: remembered until a take-over of the zone has found it stored. */
  private passOver(device: DeviceContext, readings: readonly Reading[]): void {
    eachStream(this.passedOver, device, readings, (zone, key, r) => {
      const p = zone.get(key);
      // A redelivery of what the previous generation counted is not counted again.
      if (!p && r.seq <= (this.passedOverBefore.get(device.zoneId)?.get(key)?.seq ?? -1)) return;
      if (!p) zone.set(key, { deviceId: device.id, stream: r.stream, from: r.ts, to: r.ts, n: 1, seq: r.seq });
      else if (r.seq > p.seq) {
        p.n++;
        p.seq = r.seq;
        if (r.ts < p.from) p.from = r.ts;
        if (r.ts > p.to) p.to = r.ts;
      }
    });
  }

  private async resendUnacked(zoneId: string): Promise<void> {
    const client = this.client;
    if (!client) return;
    for (const c of await this.leaseRepo.unackedCommands(zoneId, 3 * this.opts.leaseS + 5)) {
      await client.publishAsync(topics.command(c.deviceId, c.name), JSON.stringify(c.payload), { qos: 1 });
      this.log.info({ device: c.deviceId, command: c.id }, 'unacknowledged command sent again after a take-over');
    }
  }

  /** Writes the judged marks gathered since the last write (one statement), and now and then prunes. */
  private writeJudged(): Promise<void> {
    this.judgedWrite = this.judgedWrite.then(async () => {
      const marks = [...this.judgedMarks.values()];
      this.judgedMarks = new Map();
      try {
        await this.leaseRepo.markJudged(this.leases?.worker ?? 'unknown', marks);
        if (Date.now() - this.judgedPrunedAt > JUDGED_PRUNE_MS) {
          this.judgedPrunedAt = Date.now();
          await this.leaseRepo.pruneJudged(Math.max(this.opts.rebuildS, 3600) * 2);
        }
      } catch (err) {
        // Kept for the next write: a mark written late makes a taking-over worker judge more live, never less.
        for (const m of marks) this.noteJudged(m);
        this.log.warn({ err }, 'judged readings could not be recorded; retrying');
      }
    });
    return this.judgedWrite;
  }

  private noteJudged(m: JudgedMark): void {
    const key = `${m.deviceId}|${m.stream}`;
    const had = this.judgedMarks.get(key);
    if (!had || had.judgedTo < m.judgedTo) this.judgedMarks.set(key, m);
  }

  private async route(topic: string, payload: Buffer): Promise<void> {
    const t = parseTopic(topic);
    if (t?.type === 'rulesChanged') return this.reloadRules();
    if (t?.type === 'rollout') return this.rollout(t.modelName, payload);
    if (t?.type === 'commandAck') {
      // The worker holding the device's zone records the acknowledgement.
      const device = await this.contexts.get(t.deviceId);
      if (device && this.leases?.owns(device.zoneId)) await this.speakers?.onAck(t.deviceId, payload);
      return;
    }
    const decoded = decodeTelemetryMessage(topic, payload, new Date(), this.opts.limits);
    // Since the latest reconnect when received (what arrived before it is not live after it).
    return this.judge(decoded, this.sinceReconnect());
  }

  /** After a reconnect: the first reading of each device stream received live (what the store must reach), per zone. */
  private noteLive(resumed: Resumed, device: DeviceContext, readings: readonly Reading[]): void {
    eachStream(resumed.zones, device, readings, (zone, key, r) => {
      const had = zone.get(key);
      if (!had || r.seq < had.seq) zone.set(key, { seq: r.seq, ts: r.ts });
    });
  }

  /** One telemetry message, decoded: one reading or a batch; bad elements are dropped alone (ingest logs and counts them per device). */
  private async judge(decoded: DecodedMessage, resumed?: Resumed): Promise<void> {
    if (!decoded.ok) {
      this.dropped.inc({ reason: decoded.reason });
      return;
    }
    for (const e of decoded.rejected) this.dropped.inc({ reason: e.reason });
    if (decoded.readings.length === 0) return;
    // Registry lookups resolve in arrival order across devices, so a device looked up for the first
    // time does not let other devices' later readings overtake its own (a zone's counters stay in step).
    // The zone's lease is checked in the same order (a new zone is claimed on its first reading).
    const lookup = this.arrivals.then(async () => {
      const device = await this.contexts.get(decoded.deviceId);
      return { device, mine: device ? await this.leases?.claim(device.zoneId) : false };
    });
    this.arrivals = lookup.then(() => undefined, () => undefined);
    const { device, mine } = await lookup;
    if (!device) {
      this.dropped.inc({ reason: 'unknown_device' }, decoded.readings.length);
      return;
    }
    if (resumed && this.opts.rebuildS > 0) this.noteLive(resumed, device, decoded.readings);
    const state = this.zones.get(device.zoneId);
    if (!mine || !state) {
      this.dropped.inc({ reason: 'other_worker' }, decoded.readings.length);
      if (this.opts.rebuildS > 0) this.passOver(device, decoded.readings);
      return;
    }
    if (state.waiting) return void state.waiting.push({ device, readings: decoded.readings });
    // Each reading enters its pipeline in order, all before the first await, exactly as the same
    // readings sent one by one would (the pipelines keep per-device order from there).
    await Promise.all(decoded.readings.map((r) => this.feedZone(state, device, r)));
  }

  private async feedZone(zone: ZoneState, device: DeviceContext, r: Reading): Promise<void> {
    switch (r.stream) {
      case 'noise':
        await zone.noise.onReading(device, r.ts, r.payload);
        break;
      case 'tracks':
        // Each camera observation is judged for fishing (ban zones), then for intrusion (closed zones):
        // both may ask the camera's loudspeaker for a clip, and the order of their asks decides which
        // one the cooldown refuses, so it is the same order whatever the interleaving of devices.
        await zone.fishing.onTrack(device, r.ts, r.payload);
        await zone.intrusion.onTrack(device, r.ts, r.payload);
        break;
      case 'smoke':
        await zone.smoke.onReading(device, r.ts, r.payload);
        break;
      case 'people':
        // Its arrival bounds how far a count stamped ahead moves the zone's clock (crowding.ts).
        await zone.crowding.onCount(device, r.ts, r.payload.count, new Date());
        break;
      default:
        return;
    }
    this.processed.inc({ stream: r.stream });
    if (!zone.phase) this.noteJudged({ zoneId: device.zoneId, deviceId: device.id, stream: r.stream, judgedTo: r.ts });
  }

  private async rollout(name: string, payload: Buffer): Promise<void> {
    try {
      const r: unknown = JSON.parse(payload.toString('utf8'));
      if (!Value.Check(Rollout, r)) throw new Error('expected { active, shadow }');
      await this.registry.apply(name, r);
    } catch (err) {
      this.log.error({ err, model: name }, 'model rollout refused');
    }
  }

  private async emit(alert: Alert): Promise<void> {
    // Replaying what a worker judged before: that worker published it already.
    if (this.zones.get(alert.zoneId)?.phase === 'silent') return;
    await this.client?.publishAsync(topics.alert(alert.zoneId, alert.kind), JSON.stringify(alert), { qos: 1 });
    this.alerts.inc({ kind: alert.kind });
    this.log.info({ alert: alert.id, kind: alert.kind, zone: alert.zoneId, device: alert.deviceId }, alert.summary);
  }

  /** Stop taking readings, finish what is queued (its alerts still go out), then disconnect. */
  /** Registers the model versions in the model folders, so the API can list them and roll them out. */
  private async registerModels(): Promise<void> {
    try {
      await this.repo.registerModels(await listModels(this.opts.modelDirs));
    } catch (err) {
      this.log.warn({ err }, 'model versions could not be registered; retrying at the next scan');
    }
  }

  /** Reloads the zone rules; on failure the previous ones stay in force. */
  private async reloadRules(): Promise<void> {
    try {
      this.schedule = await this.devices.schedule();
      this.rulesReloaded.inc();
      this.log.debug({ rules: this.schedule.size }, 'zone rules reloaded');
    } catch (err) {
      this.log.warn({ err }, 'zone rules could not be reloaded; the previous ones stay in force');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.rulesTimer);
    clearInterval(this.scanTimer);
    this.local?.detachInference();
    if (this.client?.connected) await this.client.unsubscribeAsync(this.subscriptions());
    for (const b of this.batchers.values()) await b.stop();
    await Promise.all(this.pending);
    clearInterval(this.judgedTimer);
    clearInterval(this.passedOverTimer);
    await this.writeJudged();
    await this.leases?.stop();
    await this.client?.endAsync();
    await this.registry.close();
  }
}

import { filters, topics } from '../../contract/mqtt/topics.js';
import { noiseRun } from '../../simulator/scenarios.js';
import type { DeviceRepository } from '../../core/repos/devices.js';

/**
 * The benchmark workload, shared by the load generators and the raw-insert baseline so both write
 * identical readings: N provisioned devices, each publishing 1-second noise readings (LAeq, LAmax and
 * 31 one-third-octave bands from the simulator's spectra) on `v1/devices/{id}/telemetry/noise`, one
 * reading per message or (bench:ingest with BENCH_BATCH) several.
 */
export interface BenchDevice {
  id: string;
  secret: string;
}

export const BENCH_ZONE = 'z-park-square';
export const benchDeviceId = (i: number) => `bench-${String(i).padStart(5, '0')}`;
/** What ingest subscribes to (DESIGN MQTT contract v1). */
export const TELEMETRY_FILTER = filters.telemetry;
export const telemetryTopic = (deviceId: string) => topics.telemetry(deviceId, 'noise');

/** Registers `n` devices through the registry (hashed secrets) and returns their one-time secrets. */
export async function provisionDevices(devices: DeviceRepository, n: number): Promise<BenchDevice[]> {
  const out: BenchDevice[] = [];
  for (let i = 0; i < n; i++) {
    const { device, secret } = await devices.create({
      id: benchDeviceId(i),
      zoneId: BENCH_ZONE,
      kind: 'sound_level_meter',
      placementPublished: true,
      calibrationValidUntil: '2099-12-31',
    });
    out.push({ id: device.id, secret });
  }
  return out;
}

export interface NoiseFields {
  laeq: number;
  lamax: number;
  bands: number[];
}

const SPECTRA = 64;
let spectra: NoiseFields[] | undefined;

/** A fixed, seeded pool of realistic spectra (music in a park at 60–80 dB(A)). */
export function spectrumPool(): NoiseFields[] {
  if (spectra) return spectra;
  const run = noiseRun({ deviceId: 'pool', start: new Date(0), seconds: SPECTRA, source: 'music', laeq: 70, seed: 7, seqStart: 0 });
  spectra = run.map((m) => {
    const p = JSON.parse(m.payload) as NoiseFields;
    return { laeq: p.laeq, lamax: p.lamax, bands: p.bands };
  });
  return spectra;
}

/** The reading a device sends as its `seq`-th message: identical in the publishers and the raw baseline. */
export function readingFields(deviceIndex: number, seq: number): NoiseFields {
  const pool = spectrumPool();
  return pool[(deviceIndex * 7 + seq) % pool.length] as NoiseFields;
}

/** Pre-serialises the tail of each pool entry so a payload costs one string concatenation. */
export function payloadFactory(): (deviceIndex: number, seq: number, tsMs: number) => string {
  const tails = spectrumPool().map((f) => `,"laeq":${f.laeq},"lamax":${f.lamax},"intervalS":1,"bands":[${f.bands.join(',')}]}`);
  return (deviceIndex, seq, tsMs) => `{"ts":${tsMs},"seq":${seq}${tails[(deviceIndex * 7 + seq) % tails.length]}`;
}

/**
 * Messages of `batch` readings (seq, seq+1, …): the single-object payload for 1, else a JSON array
 * (the MQTT contract's batch form). Every reading of a batch is stamped `tsMs`, its publish time,
 * so publish→commit latencies mean the same whatever the batch size.
 */
export function messageFactory(batch: number): (deviceIndex: number, seq: number, tsMs: number) => string {
  const one = payloadFactory();
  if (batch === 1) return one;
  return (deviceIndex, seq, tsMs) => {
    const parts: string[] = [];
    for (let i = 0; i < batch; i++) parts.push(one(deviceIndex, seq + i, tsMs));
    return `[${parts.join(',')}]`;
  };
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Metrics } from '../core/metrics.js';

/**
 * Ingest's Prometheus metrics, served at /metrics with the rest of the platform's registry. Created
 * once per registry and shared, so an ingest service restarted in the same process (tests) keeps
 * counting on the same series.
 */
function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function ingestMetrics(metrics: Metrics) {
  const r = metrics.registry;
  const registers = [r];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    once(r, name, () => new Counter<L>({ name, help, labelNames, registers }));
  const gauge = (name: string, help: string) => once(r, name, () => new Gauge({ name, help, registers }));
  const histogram = (name: string, help: string, buckets: number[]) => once(r, name, () => new Histogram({ name, help, buckets, registers }));
  return {
    received: counter('ingest_readings_received_total', 'telemetry readings received and accepted (a batch message counts each of its readings)', ['stream']),
    committed: counter('ingest_readings_committed_total', 'readings written (new rows)', ['stream']),
    rejected: counter('ingest_readings_rejected_total', 'telemetry readings rejected (a bad element of a batch on its own; a message that cannot be read counts once)', ['reason', 'device']),
    batchFailures: counter('ingest_batch_failures_total', 'batch writes that failed (the batch went to the spool or was retried)'),
    batchSize: histogram('ingest_batch_size', 'readings per database write', [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000]),
    insertSeconds: histogram('ingest_insert_duration_seconds', 'duration of one batch transaction', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
    commitLatency: histogram('ingest_commit_latency_seconds', 'reading timestamp → committed, for readings stamped within the last minute (device clock)', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
    unacked: gauge('ingest_unacked', 'telemetry readings received whose messages are not yet acknowledged (committed, spooled or rejected)'),
    spoolDepth: gauge('ingest_spool_depth', 'messages waiting in the on-disk spool (a batch message is one)'),
    spoolBytes: gauge('ingest_spool_bytes', 'bytes of the on-disk spool'),
    spoolFill: gauge('ingest_spool_fill_ratio', 'how full the spool is (0–1, by its byte or message bound)'),
    spoolAlarm: gauge('ingest_spool_alarm', '1 while the spool is more than 80% full'),
    spooled: counter('ingest_spooled_total', 'readings appended to the spool'),
    replayed: counter('ingest_replayed_total', 'spooled readings written to the database'),
    deadLetters: counter('ingest_dead_letters_total', 'rejected messages kept in dead_letters, or dropped before they could be', ['outcome']),
    presence: counter('ingest_presence_total', 'device presence messages', ['state']),
  };
}

export type IngestMetrics = ReturnType<typeof ingestMetrics>;

/**
 * MQTT accounts of contract v1: each device logs in with its own id as username (and client id) and its
 * secret; the platform's services (ingest, inference, enforcement) share one service account.
 */
export const SERVICE_USER = 'service';

/**
 * Client ids starting with this are reserved for the service account (e.g. `svc-ingest`, whose
 * persistent session holds the telemetry queue): no device may be registered or connect under one.
 */
export const SERVICE_CLIENT_PREFIX = 'svc-';

/** Ingest's persistent session on a single broker: it takes every device's telemetry and presence. */
export const INGEST_SESSION = 'svc-ingest';

/**
 * Ingest's session bound to one broker node of a cluster (REDIS_URL): it takes only what devices
 * publish on that node (broker/cluster.ts), so each node's ingest writes its own devices' readings.
 */
export const ingestSessionOfNode = (nodeId: string) => `${INGEST_SESSION}-${nodeId}`;

/** The node an ingest session is bound to; undefined for any other client id and for plain `svc-ingest`. */
export function ingestSessionNode(clientId: string | undefined): string | undefined {
  const prefix = `${INGEST_SESSION}-`;
  return clientId?.startsWith(prefix) ? clientId.slice(prefix.length) : undefined;
}

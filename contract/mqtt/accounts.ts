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

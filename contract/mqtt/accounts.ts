/**
 * MQTT accounts of contract v1: each device logs in with its own id as username (and client id) and its
 * secret; the platform's services (ingest, inference, enforcement) share one service account.
 */
export const SERVICE_USER = 'service';

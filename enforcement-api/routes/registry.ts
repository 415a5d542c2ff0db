import { topics } from '../../contract/mqtt/topics.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Device, DeviceCreated, DeviceList, DevicePatch, NewDevice, RotatedSecret, SecretRotation, ZoneList } from '../../contract/http/registry.js';
import { IdParams } from '../../contract/http/common.js';
export { DEVICE_KINDS } from '../../contract/http/registry.js';
import { localDate } from '../domain/legal-rules.js';
import { AppError } from '../errors.js';
import type { DeviceRepository } from '../../core/repos/devices.js';
import type { ZoneRepository } from '../zones.js';

/** DEVICE_SILENT_S, DEVICE_LOW_BATTERY_PCT: when the device list flags a device. */
export interface DeviceHealthSettings {
  silentS: number;
  lowBatteryPct: number;
}

const routes: FastifyPluginAsyncTypebox<{ zones: ZoneRepository; devices: DeviceRepository; mqttPort: () => number; health: DeviceHealthSettings }> = async (
  app,
  { zones, devices, mqttPort, health },
) => {
  app.get(
    '/api/v1/zones',
    {
      preHandler: app.authenticate,
      schema: { tags: ['registry'], security: [{ bearer: [] }], response: { 200: ZoneList, 401: { $ref: 'Error#' } } },
    },
    async () => zones.list(),
  );

  app.get(
    '/api/v1/devices',
    {
      preHandler: app.requireRole('admin', 'operator'),
      schema: {
        tags: ['registry'],
        summary: 'Every device with presence, last reading and health (newest status: battery, signal; `silent`, `lowBattery`)',
        security: [{ bearer: [] }],
        response: { 200: DeviceList, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } },
      },
    },
    async () => devices.listWithHealth(health),
  );

  app.post(
    '/api/v1/devices',
    {
      preHandler: app.requireRole('admin'),
      schema: {
        tags: ['registry'],
        summary: 'Register a device in a zone; the secret is returned once and stored only as a hash',
        security: [{ bearer: [] }],
        body: NewDevice,
        response: {
          201: DeviceCreated,
          400: { $ref: 'Error#' },
          401: { $ref: 'Error#' },
          403: { $ref: 'Error#' },
          409: { $ref: 'Error#' },
          422: { $ref: 'Error#' },
        },
      },
    },
    async (req, reply) => {
      const timezone = await zones.timezoneOf(req.body.zoneId);
      if (timezone === undefined) throw new AppError(400, 'ZONE_NOT_FOUND', `no zone ${req.body.zoneId}`);
      // A meter whose calibration has already expired would only produce records that are no evidence.
      // Its last valid day is a calendar day where it stands.
      const today = localDate(new Date(), timezone);
      if (req.body.calibrationValidUntil !== undefined && req.body.calibrationValidUntil < today) {
        throw new AppError(422, 'CALIBRATION_EXPIRED', `the calibration expired on ${req.body.calibrationValidUntil}: recalibrate the device before registering it`);
      }
      if (req.body.id && (await devices.get(req.body.id))) throw new AppError(409, 'DEVICE_EXISTS', `device ${req.body.id} already exists`);
      // Field by field: `simulated` (and anything else the registry keeps) is never the caller's to set.
      const { id, zoneId, kind, hasSpeaker, placement, placementPublished, calibrationCert, calibrationValidUntil } = req.body;
      const { device, secret } = await devices.create({ id, zoneId, kind, hasSpeaker, placement, placementPublished, calibrationCert, calibrationValidUntil, simulated: false });
      req.log.info({ device: device.id, zone: device.zoneId, by: req.user.username }, 'device registered');
      return reply.status(201).send({
        device,
        secret,
        mqtt: {
          port: mqttPort(),
          username: device.id,
          password: secret,
          publishPrefix: topics.devicePrefix(device.id),
          commandsFilter: topics.deviceCommands(device.id),
        },
      });
    },
  );

  app.post(
    '/api/v1/devices/:id/secret',
    {
      preHandler: app.requireRole('admin', 'operator'),
      schema: {
        tags: ['registry'],
        summary: 'Rotates a device’s secret: the new one is returned once; the old one keeps working for `graceS` seconds',
        security: [{ bearer: [] }],
        params: IdParams,
        body: SecretRotation,
        response: { 200: RotatedSecret, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const rotated = await devices.rotateSecret(req.params.id, req.body.graceS);
      if (!rotated) throw new AppError(404, 'DEVICE_NOT_FOUND', `no device ${req.params.id}`);
      req.log.info({ device: req.params.id, graceS: req.body.graceS, by: req.user.username }, 'device secret rotated');
      return { deviceId: req.params.id, secret: rotated.secret, previousSecretValidUntil: rotated.previousValidUntil?.toISOString() ?? null };
    },
  );

  app.patch(
    '/api/v1/devices/:id',
    {
      preHandler: app.requireRole('admin', 'operator'),
      schema: {
        tags: ['registry'],
        summary: "Update a device's calibration (certificate, validity) and placement (position, published)",
        description: 'Sensor records count as evidence only with a valid calibration and a published placement as they stood when the record was made: a change applies to later records.',
        security: [{ bearer: [] }],
        params: IdParams,
        body: DevicePatch,
        response: { 200: Device, 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } },
      },
    },
    async (req) => {
      const device = await devices.update(req.params.id, req.body);
      if (!device) throw new AppError(404, 'DEVICE_NOT_FOUND', `no device ${req.params.id}`);
      req.log.info({ device: device.id, change: req.body, by: req.user.username }, 'device updated');
      return device;
    },
  );
};
export default routes;

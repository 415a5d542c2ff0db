import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import type { DeviceRepository } from '../../core/repos/devices.js';
import type { ZoneRepository } from '../../core/repos/zones.js';

const Zone = Type.Object({
  id: Type.String(),
  name: Type.String(),
  siteId: Type.String(),
  siteName: Type.String(),
  siteKind: Type.String(),
  streetId: Type.String(),
  streetName: Type.String(),
  noiseClass: Type.String(),
  timezone: Type.String(),
  capacity: Type.Union([Type.Integer(), Type.Null()]),
  fishingBan: Type.Boolean(),
  geometry: Type.Unknown({ description: 'GeoJSON polygon' }),
});

const Device = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  hasSpeaker: Type.Boolean(),
  placement: Type.Unknown(),
  placementPublished: Type.Boolean(),
  calibrationCert: Type.Union([Type.String(), Type.Null()]),
  calibrationValidUntil: Type.Union([Type.String(), Type.Null()]),
  simulated: Type.Boolean(),
});

export const DEVICE_KINDS = ['sound_level_meter', 'people_counter', 'camera', 'smoke_detector'] as const;

const NewDevice = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'also the MQTT username' })),
  zoneId: Type.String({ minLength: 1 }),
  kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
  hasSpeaker: Type.Optional(Type.Boolean()),
  placement: Type.Optional(Type.Object({ lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), description: Type.Optional(Type.String({ maxLength: 200 })) })),
  placementPublished: Type.Optional(Type.Boolean()),
  calibrationCert: Type.Optional(Type.String({ maxLength: 100 })),
  calibrationValidUntil: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
});

const routes: FastifyPluginAsyncTypebox<{ zones: ZoneRepository; devices: DeviceRepository; mqttPort: () => number }> = async (
  app,
  { zones, devices, mqttPort },
) => {
  app.get(
    '/api/v1/zones',
    {
      preHandler: app.authenticate,
      schema: { tags: ['registry'], security: [{ bearer: [] }], response: { 200: Type.Array(Zone), 401: { $ref: 'Error#' } } },
    },
    async () => zones.list(),
  );

  app.get(
    '/api/v1/devices',
    {
      preHandler: app.requireRole('admin', 'operator'),
      schema: { tags: ['registry'], security: [{ bearer: [] }], response: { 200: Type.Array(Device), 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' } } },
    },
    async () => devices.list(),
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
          201: Type.Object({
            device: Device,
            secret: Type.String(),
            mqtt: Type.Object({ port: Type.Integer(), username: Type.String(), password: Type.String(), publishPrefix: Type.String(), commandsFilter: Type.String() }),
          }),
          400: { $ref: 'Error#' },
          401: { $ref: 'Error#' },
          403: { $ref: 'Error#' },
          409: { $ref: 'Error#' },
          422: { $ref: 'Error#' },
        },
      },
    },
    async (req, reply) => {
      if (!(await zones.exists(req.body.zoneId))) throw new AppError(400, 'ZONE_NOT_FOUND', `no zone ${req.body.zoneId}`);
      // A meter whose calibration has already expired would only produce records that are no evidence.
      const today = new Date().toISOString().slice(0, 10);
      if (req.body.calibrationValidUntil !== undefined && req.body.calibrationValidUntil < today) {
        throw new AppError(422, 'CALIBRATION_EXPIRED', `the calibration expired on ${req.body.calibrationValidUntil}: recalibrate the device before registering it`);
      }
      if (req.body.id && (await devices.get(req.body.id))) throw new AppError(409, 'DEVICE_EXISTS', `device ${req.body.id} already exists`);
      const { device, secret } = await devices.create(req.body);
      req.log.info({ device: device.id, zone: device.zoneId, by: req.user.username }, 'device registered');
      return reply.status(201).send({
        device,
        secret,
        mqtt: {
          port: mqttPort(),
          username: device.id,
          password: secret,
          publishPrefix: `v1/devices/${device.id}/`,
          commandsFilter: `v1/devices/${device.id}/commands/#`,
        },
      });
    },
  );
};
export default routes;

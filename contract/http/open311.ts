import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON format, at /open311/v2: the same
 * complaints as /api/v1/complaints, so existing 311 clients can file and follow them. Field names are
 * the specification's (snake_case).
 */

export const Open311Error = Type.Array(Type.Object({ code: Type.Integer(), description: Type.String() }), { description: 'GeoReport v2 errors' });

export const Open311Service = Type.Object({
  service_code: Type.String(),
  service_name: Type.String(),
  description: Type.String(),
  metadata: Type.Boolean({ description: 'false: no extra attributes to fill in' }),
  type: Type.Union([Type.Literal('realtime'), Type.Literal('batch'), Type.Literal('blackbox')]),
  keywords: Type.String(),
  group: Type.String(),
});
export const Open311ServiceList = Type.Array(Open311Service);

export const Open311ServiceDefinition = Type.Object({
  service_code: Type.String(),
  attributes: Type.Array(Type.Object({
    variable: Type.Boolean(), code: Type.String(), datatype: Type.String(), required: Type.Boolean(), datatype_description: Type.String(),
    order: Type.Integer(), description: Type.String(),
  })),
});

export const Open311ServiceParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) });
export const Open311Jurisdiction = Type.Object({ jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })) });

/** POST requests.json, form-encoded as 311 clients send it (validated field by field in the route). */
export const Open311RequestForm = Type.Object({
  api_key: Type.Optional(Type.String({ maxLength: 200 })),
  jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
  service_code: Type.Optional(Type.String({ maxLength: 40 })),
  lat: Type.Optional(Type.String({ maxLength: 40 })),
  long: Type.Optional(Type.String({ maxLength: 40 })),
  address_string: Type.Optional(Type.String({ maxLength: 300 })),
  address_id: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 200 })),
  device_id: Type.Optional(Type.String({ maxLength: 200 })),
  account_id: Type.Optional(Type.String({ maxLength: 200 })),
  first_name: Type.Optional(Type.String({ maxLength: 100 })),
  last_name: Type.Optional(Type.String({ maxLength: 100 })),
  phone: Type.Optional(Type.String({ maxLength: 32 })),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  media_url: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: Type.String({ maxLength: 2000 }), description: 'other fields (attribute[code]) are accepted and ignored: every service has metadata=false' });
export type Open311RequestForm = Static<typeof Open311RequestForm>;

export const Open311Created = Type.Array(Type.Object({
  service_request_id: Type.String(),
  token: Type.Optional(Type.String()),
  service_notice: Type.String(),
  account_id: Nullable(Type.String()),
}));

/**
 * A request's status. Personal details are withheld (anyone holding the id may read it): no
 * description, contact, exact point or photos; the zone's name stands for the address.
 */
export const Open311Request = Type.Object({
  service_request_id: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  status_notes: Nullable(Type.String()),
  service_name: Type.String(),
  service_code: Type.String(),
  description: Nullable(Type.String()),
  agency_responsible: Nullable(Type.String()),
  service_notice: Nullable(Type.String()),
  requested_datetime: Type.String(),
  updated_datetime: Type.String(),
  expected_datetime: Nullable(Type.String()),
  address: Nullable(Type.String()),
  address_id: Nullable(Type.String()),
  zipcode: Nullable(Type.String()),
  lat: Nullable(Type.Number()),
  long: Nullable(Type.Number()),
  media_url: Nullable(Type.String()),
});
export type Open311Request = Static<typeof Open311Request>;
export const Open311RequestList = Type.Array(Open311Request);
export const Open311RequestParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) });
export const Open311RequestQuery = Type.Object({
  service_request_id: Type.Optional(Type.String({ maxLength: 1000, description: 'comma-separated ids (required: listing everyone\'s requests is not offered)' })),
  jurisdiction_id: Type.Optional(Type.String({ maxLength: 100 })),
});

import { Type, type TSchema } from '@sinclair/typebox';

/** Every 4xx/5xx answer: a stable machine-readable code and a message (referenced as `Error#`). */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { $id: 'Error' });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** `:id` of a case (and other uuid-keyed resources). */
export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
/** `:id` of a device, zone, model or alert. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

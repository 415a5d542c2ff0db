import { Type } from '@sinclair/typebox';

export const Liveness = Type.Object({ status: Type.Literal('ok') });
export const Readiness = Type.Object({ ready: Type.Boolean(), checks: Type.Record(Type.String(), Type.Boolean()) });

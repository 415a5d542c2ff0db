import { Type, type Static } from '@sinclair/typebox';

/**
 * Control messages between the platform's services (DESIGN §3).
 */

/** Retained on `v1/control/models/{name}`: which version alerts, which runs in shadow. */
export const Rollout = Type.Object({
  active: Type.String(),
  shadow: Type.Union([Type.String(), Type.Null()]),
});
export type Rollout = Static<typeof Rollout>;

/** On `v1/control/rules`: the zone rules changed; inference reloads them at once. No fields. */
export const RulesChanged = Type.Object({});
export type RulesChanged = Static<typeof RulesChanged>;

import { Type, type Static } from '@sinclair/typebox';

/**
 * Commands to devices on `v1/devices/{deviceId}/commands/{name}` (QoS 1) and their acknowledgements
 * on `…/commands/{name}/ack` (DESIGN §3).
 */

/** Loudspeaker clips a `speaker.play` command may name. */
export const CLIPS = ['fishing-ban', 'anti-drowning', 'noise-reminder'] as const;
export type Clip = (typeof CLIPS)[number];

export const SPEAKER_PLAY = 'speaker.play';

/** `speaker.play`: play a clip now. `commandId` comes back in the ack. */
export const SpeakerPlay = Type.Object({
  commandId: Type.String({ minLength: 1 }),
  clip: Type.Union(CLIPS.map((c) => Type.Literal(c))),
  volume: Type.Number({ minimum: 0, maximum: 100, description: 'percent' }),
  stage: Type.Union([Type.Literal('warning'), Type.Literal('repeat')], { description: 'first warning, or a repeat after the cooldown' }),
  alertId: Type.String({ description: 'the alert (or warning episode) the clip answers' }),
});
export type SpeakerPlay = Static<typeof SpeakerPlay>;

/** A device's acknowledgement of any command: its `commandId`, plus whatever the device reports. */
export const CommandAck = Type.Object({ commandId: Type.String() }, { additionalProperties: true });
export type CommandAck = Static<typeof CommandAck>;

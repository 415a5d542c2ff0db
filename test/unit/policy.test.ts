import { describe, expect, it } from 'vitest';
import { deviceMayPublish, deviceMaySubscribe } from '../../broker/policy.js';

describe('device topic ACL', () => {
  it.each([
    ['v1/devices/slm-1/telemetry/noise', true],
    ['v1/devices/slm-1/telemetry/status', true],
    ['v1/devices/slm-1/status', true],
    ['v1/devices/slm-1/commands/speaker.play/ack', true],
    ['v1/devices/slm-2/telemetry/noise', false],
    ['v1/devices/slm-1/telemetry/weather', false],
    ['v1/devices/slm-1/telemetry/noise/extra', false],
    ['v1/devices/slm-1/commands/speaker.play', false],
    ['v1/alerts/z-park/noise', false],
    ['v1/devices/slm-1', false],
    ['$SYS/broker/uptime', false],
  ])('publish %s → %s', (topic, allowed) => {
    expect(deviceMayPublish('slm-1', topic)).toBe(allowed);
  });

  it.each([
    ['v1/devices/slm-1/commands/#', true],
    ['v1/devices/slm-1/commands/speaker.play', true],
    ['v1/devices/slm-1/commands/', false],
    ['v1/devices/+/commands/#', false],
    ['v1/devices/slm-2/commands/#', false],
    ['v1/devices/slm-1/telemetry/noise', false],
    ['#', false],
    ['v1/alerts/#', false],
  ])('subscribe %s → %s', (filter, allowed) => {
    expect(deviceMaySubscribe('slm-1', filter)).toBe(allowed);
  });
});

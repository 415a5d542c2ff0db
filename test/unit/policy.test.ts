import { describe, expect, it } from 'vitest';
import { deviceMayLeaveWill, deviceMayPublish, deviceMaySubscribe, deviceMayUseClientId, grantableOnRestore, isDeviceId, MAX_DEVICE_SUBSCRIPTIONS } from '../../broker/policy.js';

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
    ['sound_level_meter', 'noise', true],
    ['sound_level_meter', 'people', false],
    ['sound_level_meter', 'tracks', false],
    ['people_counter', 'people', true],
    ['people_counter', 'noise', false],
    ['camera', 'tracks', true],
    ['camera', 'people', true],
    ['camera', 'smoke', false],
    ['smoke_detector', 'smoke', true],
    ['smoke_detector', 'people', false],
    ['weather_station', 'noise', false],
  ])('a %s publishing %s telemetry → %s', (kind, stream, allowed) => {
    expect(deviceMayPublish('slm-1', `v1/devices/slm-1/telemetry/${stream}`, kind)).toBe(allowed);
    // Every kind keeps its status, presence and command acknowledgements.
    expect(deviceMayPublish('slm-1', 'v1/devices/slm-1/telemetry/status', kind)).toBe(true);
    expect(deviceMayPublish('slm-1', 'v1/devices/slm-1/status', kind)).toBe(true);
    expect(deviceMayPublish('slm-1', 'v1/devices/slm-1/commands/speaker.play/ack', kind)).toBe(true);
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

describe('client ids bound to the device', () => {
  it.each([
    ['slm-1', true],
    ['slm-1:gw2', true],
    ['slm-1:', false],
    ['slm-12', false],
    ['slm-2', false],
    ['svc-ingest', false],
    ['mqttjs_1234', false],
    ['', false],
  ])('slm-1 connecting as %s → %s', (clientId, allowed) => {
    expect(deviceMayUseClientId('slm-1', clientId)).toBe(allowed);
  });

  it('keeps svc- ids for services', () => {
    expect(isDeviceId('svc-ingest')).toBe(false);
    expect(deviceMayUseClientId('svc-x', 'svc-x')).toBe(false);
    expect(isDeviceId('slm-1')).toBe(true);
  });
});

describe('a device’s last will', () => {
  it('is its own presence (retained) or another of its own publish topics, never another device’s or a command', () => {
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/slm-1/status', retain: true })).toBe(true);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/slm-1/telemetry/noise', retain: false })).toBe(true);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/slm-1/telemetry/noise', retain: true })).toBe(false);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/cam-1/status', retain: true })).toBe(false);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/cam-1/commands/speaker.play' })).toBe(false);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/devices/slm-1/commands/speaker.play' })).toBe(false);
    expect(deviceMayLeaveWill('slm-1', { topic: 'v1/alerts/noise' })).toBe(false);
    expect(deviceMayLeaveWill('slm-1', { topic: undefined })).toBe(false);
  });
});

describe('a device session restored from the journal', () => {
  it('keeps its own command filters, at most MAX_DEVICE_SUBSCRIPTIONS, the first stored first', () => {
    const own = Array.from({ length: MAX_DEVICE_SUBSCRIPTIONS + 2 }, (_, i) => ({ topic: `v1/devices/slm-1/commands/c${i}` }));
    const stored = [{ topic: '#' }, own[0]!, { topic: 'v1/devices/slm-2/commands/#' }, ...own.slice(1)];
    expect(grantableOnRestore('slm-1', stored)).toEqual(own.slice(0, MAX_DEVICE_SUBSCRIPTIONS));
  });
});

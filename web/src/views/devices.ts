import { ApiError, call, type Res } from '../api/client';
import { formValues, h, keyedRows, mount, place } from '../dom';
import { date, localName, today, when } from '../format';
import { t } from '../i18n';
import { state, zones } from '../state';
import type { View } from './view';
import { explain } from '../errors';

type Device = Res<'GET /api/v1/devices'>[number];
const KINDS = ['sound_level_meter', 'people_counter', 'camera', 'smoke_detector'] as const;

/** The device registry: presence, last reading, calibration and placement; provisioning and secret rotation. */
export function devicesView(): View {
  const body = h('tbody', { id: 'device-rows' });
  const secretBox = h('div', { id: 'secret-box', role: 'alert' });
  const error = h('p', { class: 'error', role: 'alert', id: 'dev-error' });
  const admin = state.user?.role === 'admin';
  // Silent devices and low batteries first (then by id), or only those: what an operator goes out for.
  const order = h('select', { id: 'dev-order', onchange: () => render([...latest.values()]) },
    h('option', { value: 'attention' }, t('devOrderAttention')), h('option', { value: 'id' }, t('devOrderId')));
  const onlyAttention = h('input', { type: 'checkbox', id: 'dev-attention-only', onchange: () => render([...latest.values()]) });
  const summary = h('p', { id: 'dev-summary', role: 'status' });
  const el = h('section', { class: 'devices' },
    h('h1', null, t('devicesTitle')), error, secretBox,
    admin ? provisionForm() : null,
    h('div', { class: 'inline dev-filters' },
      h('label', { for: 'dev-order' }, t('devOrder')), order,
      h('label', { class: 'choice' }, onlyAttention, t('devAttentionOnly')), summary),
    h('table', { class: 'table' },
      h('thead', null, h('tr', null, [t('device'), t('kind'), t('zone'), t('presence'), t('health'), t('lastSeen'), t('calibration'), t('placement'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      body));

  /** The secret is shown once, with the MQTT settings, until dismissed. */
  const showSecret = (id: string, secret: string) => mount(secretBox, h('div', { class: 'panel secret' },
    h('h2', null, t('secretOnce', { id })),
    h('p', null, t('secretHint')),
    h('code', { id: 'new-secret', class: 'secret-value' }, secret),
    h('div', { class: 'inline' },
      h('button', { type: 'button', class: 'secondary', onclick: () => void navigator.clipboard?.writeText(secret).catch(() => undefined) }, t('copy')),
      h('button', { type: 'button', class: 'primary', id: 'secret-done', onclick: () => mount(secretBox) }, t('secretStored')))));

  /**
   * A new secret for a device, in a row under the device's: the old one keeps working for the grace
   * period chosen (time to put the new one into the device), or stops at once when it may have leaked.
   */
  const rotate = (d: Device, row: HTMLElement) => {
    error.textContent = '';
    const form = h('form', { class: 'form-grid rotate-secret', 'data-device': d.id },
      h('label', { for: `r-grace-${d.id}` }, t('rotateGrace')),
      h('select', { id: `r-grace-${d.id}`, name: 'graceS' },
        h('option', { value: '0' }, t('graceNow')),
        h('option', { value: '3600' }, t('graceHour')),
        h('option', { value: '86400', selected: true }, t('graceDay'))),
      h('button', { type: 'submit', class: 'danger' }, t('rotateSecret')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const graceS = Number(formValues(form).graceS);
      void call('POST /api/v1/devices/{id}/secret', { params: { id: d.id }, body: { graceS }, idempotencyKey: crypto.randomUUID() })
        .then((r) => { closeRow(d.id); showSecret(d.id, r.secret); })
        .catch((err: unknown) => { error.textContent = err instanceof ApiError && err.status === 404 ? t('rotateUnavailable') : explain(err); });
    });
    openRow(d.id, row, form);
  };

  /**
   * The rows stay across the 30 s refresh (a button being tapped lands), each with the edit or rotation
   * form open under it (what is typed there survives); a device's cells show what was read last.
   */
  let latest = new Map<string, Device>();
  const under = new Map<string, HTMLElement>();
  const openRow = (id: string, row: HTMLElement, form: HTMLElement) => {
    under.get(id)?.remove();
    const tr = h('tr', { class: 'edit-row' }, h('td', { colSpan: 9 }, form));
    under.set(id, tr);
    row.after(tr);
  };
  const closeRow = (id: string) => {
    under.get(id)?.remove();
    under.delete(id);
  };
  const actionsOf = new WeakMap<HTMLElement, HTMLElement>();
  const rows = keyedRows((d: Device) => d.id, (d) => String(d.simulated), (d) => {
    const tr = h('tr', { 'data-id': d.id });
    actionsOf.set(tr, h('td', { class: 'row-actions' },
      h('button', { type: 'button', class: 'secondary', 'data-edit': d.id, onclick: () => edit(latest.get(d.id) ?? d, tr) }, t('editDevice')),
      !d.simulated ? h('button', { type: 'button', class: 'secondary', 'data-rotate': d.id, onclick: () => rotate(latest.get(d.id) ?? d, tr) }, t('rotateSecret')) : null));
    return tr;
  });
  // Zones by name in the user's language (the id until they are read).
  let zoneNames = new Map<string, string>();
  void zones().then((zs) => {
    zoneNames = new Map(zs.map((z) => [z.id, localName(z.name, z.nameZh)]));
    if (latest.size) render([...latest.values()]);
  }).catch(() => undefined);
  const attention = (d: Device) => (d.silent ? 2 : 0) + (d.lowBattery ? 1 : 0);
  const render = (all: Device[]) => {
    latest = new Map(all.map((d) => [d.id, d]));
    const flagged = all.filter((d) => attention(d) > 0);
    summary.textContent = t('devAttentionCount', { silent: all.filter((d) => d.silent).length, battery: all.filter((d) => d.lowBattery).length });
    const list = (onlyAttention.checked ? flagged : all).slice()
      .sort((a, b) => (order.value === 'attention' ? attention(b) - attention(a) : 0) || a.id.localeCompare(b.id));
    for (const id of [...under.keys()]) if (!list.some((d) => d.id === id)) closeRow(id);
    const trs = rows(list);
    list.forEach((d, i) => place(trs[i]!, ...cells(d), actionsOf.get(trs[i]!) ?? null));
    place(body, ...trs.flatMap((tr, i) => [tr, under.get(list[i]!.id) ?? null]));
  };
  const cells = (d: Device) => {
    const p = d.placement as { lon?: number; lat?: number; description?: string } | null;
    const calOk = d.calibrationValidUntil !== null && d.calibrationValidUntil >= today();
    return [
      h('th', { scope: 'row' }, d.id, d.simulated ? h('span', { class: 'muted' }, ` (${t('simulated')})`) : null),
      h('td', null, t(`dev_${d.kind}`)),
      h('td', null, zoneNames.get(d.zoneId) ?? d.zoneId),
      h('td', null, h('span', { class: ['dot', d.online ? 'on' : 'off'] }), d.online ? t('online') : t('offline')),
      h('td', { class: 'health' },
        d.silent ? h('span', { class: ['flag', 'flag-silent'], title: t('silentHint') }, t('silentFlag')) : null,
        d.lowBattery ? h('span', { class: ['flag', 'flag-battery'] }, t('lowBatteryFlag')) : null,
        h('span', { class: 'health-values' },
          `${t('battery')} ${d.battery === null ? '—' : `${Math.round(d.battery)}%`}`, h('br'),
          `${t('signal')} ${d.signal === null ? '—' : d.signal < 0 ? `${Math.round(d.signal)} dBm` : `${Math.round(d.signal)}%`}`,
          d.statusAt ? h('span', { class: 'muted' }, h('br'), when(d.statusAt)) : null)),
      h('td', null, when(d.lastSeenAt)),
      h('td', { class: calOk ? '' : 'warn' }, d.calibrationValidUntil ? date(d.calibrationValidUntil) : '—', d.calibrationCert ? h('br') : null, d.calibrationCert ?? ''),
      h('td', null, p?.lon ? `${p.lat?.toFixed(4)}, ${p.lon.toFixed(4)}` : '—', ' ', d.placementPublished ? t('published') : h('span', { class: 'warn' }, t('notPublished'))),
    ];
  };

  /** Calibration and placement, edited in a row under the device's. */
  const edit = (d: Device, row: HTMLElement) => {
    const p = d.placement as { lon?: number; lat?: number } | null;
    const form = h('form', { class: 'form-grid edit-device', 'data-device': d.id },
      h('label', { for: `e-cal-${d.id}` }, t('calibrationUntil')), h('input', { id: `e-cal-${d.id}`, name: 'calibrationValidUntil', type: 'date', value: d.calibrationValidUntil ?? '' }),
      h('label', { for: `e-cert-${d.id}` }, t('calibrationCert')), h('input', { id: `e-cert-${d.id}`, name: 'calibrationCert', maxLength: 100, value: d.calibrationCert ?? '' }),
      h('label', { for: `e-lat-${d.id}` }, t('latitude')), h('input', { id: `e-lat-${d.id}`, name: 'lat', type: 'number', step: 'any', value: p?.lat ?? '' }),
      h('label', { for: `e-lon-${d.id}` }, t('longitude')), h('input', { id: `e-lon-${d.id}`, name: 'lon', type: 'number', step: 'any', value: p?.lon ?? '' }),
      h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'placementPublished', checked: d.placementPublished }), t('placementPublished')),
      h('button', { type: 'submit', class: 'primary' }, t('save')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = formValues(form);
      const body = {
        placementPublished: Boolean(v.placementPublished),
        ...(v.calibrationValidUntil ? { calibrationValidUntil: String(v.calibrationValidUntil) } : {}),
        ...(v.calibrationCert ? { calibrationCert: String(v.calibrationCert) } : {}),
        ...(v.lat && v.lon ? { placement: { lat: Number(v.lat), lon: Number(v.lon) } } : {}),
      };
      void call('PATCH /api/v1/devices/{id}', { params: { id: d.id }, body, idempotencyKey: crypto.randomUUID() })
        .then(() => { closeRow(d.id); return load(); }).catch((err: unknown) => { error.textContent = explain(err); });
    });
    openRow(d.id, row, form);
  };

  function provisionForm(): HTMLElement {
    const zoneSelect = h('select', { name: 'zoneId', id: 'p-zone', required: true });
    void zones().then((zs) => mount(zoneSelect, zs.map((z) => h('option', { value: z.id }, localName(z.name, z.nameZh))))).catch(() => undefined);
    const form = h('form', { class: 'panel provision', id: 'provision' },
      h('h2', null, t('provisionTitle')),
      h('div', { class: 'form-grid' },
        h('label', { for: 'p-id' }, t('deviceId')), h('input', { id: 'p-id', name: 'id', pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}', placeholder: 'slm-park-9' }),
        h('label', { for: 'p-kind' }, t('kind')), h('select', { id: 'p-kind', name: 'kind' }, KINDS.map((k) => h('option', { value: k }, t(`dev_${k}`)))),
        h('label', { for: 'p-zone' }, t('zone')), zoneSelect,
        h('label', { for: 'p-lat' }, t('latitude')), h('input', { id: 'p-lat', name: 'lat', type: 'number', step: 'any', min: -90, max: 90 }),
        h('label', { for: 'p-lon' }, t('longitude')), h('input', { id: 'p-lon', name: 'lon', type: 'number', step: 'any', min: -180, max: 180 }),
        h('label', { for: 'p-cal' }, t('calibrationUntil')), h('input', { id: 'p-cal', name: 'calibrationValidUntil', type: 'date' }),
        h('label', { for: 'p-cert' }, t('calibrationCert')), h('input', { id: 'p-cert', name: 'calibrationCert', maxLength: 100 }),
        h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'placementPublished', checked: true }), t('placementPublished')),
        h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'hasSpeaker' }), t('hasSpeaker'))),
      h('button', { type: 'submit', class: 'primary big' }, t('provision')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      error.textContent = '';
      const v = formValues(form);
      const bodyOf = {
        ...(v.id ? { id: String(v.id) } : {}),
        zoneId: String(v.zoneId), kind: v.kind as (typeof KINDS)[number],
        placementPublished: Boolean(v.placementPublished), hasSpeaker: Boolean(v.hasSpeaker),
        ...(v.lat && v.lon ? { placement: { lat: Number(v.lat), lon: Number(v.lon) } } : {}),
        ...(v.calibrationValidUntil ? { calibrationValidUntil: String(v.calibrationValidUntil) } : {}),
        ...(v.calibrationCert ? { calibrationCert: String(v.calibrationCert) } : {}),
      };
      void call('POST /api/v1/devices', { body: bodyOf, idempotencyKey: crypto.randomUUID() }).then((r) => {
        showSecret(r.device.id, r.secret);
        form.reset();
        return load();
      }).catch((err: unknown) => { error.textContent = explain(err); });
    });
    return form;
  }

  const load = () => call('GET /api/v1/devices').then(render).catch((err: unknown) => { error.textContent = explain(err); });
  void load();
  const timer = setInterval(() => void load(), 30_000);
  return { el, dispose: () => clearInterval(timer) };
}

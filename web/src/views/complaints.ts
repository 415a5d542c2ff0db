import { ApiError, call, type Body, type Res } from '../api/client';
import { h, keyedRows, mount, place } from '../dom';
import { localName, when } from '../format';
import { t } from '../i18n';
import type { View } from './view';
import { explain } from '../errors';

type NewComplaint = Body<'POST /api/v1/complaints'>;
type Complaint = Res<'GET /api/v1/complaints'>[number];
type OnCase = Res<'GET /api/v1/cases/{id}/complaints'>[number];
const CATEGORIES = ['noise', 'fishing', 'crowding', 'other'] as const;

const readPhoto = (f: File) => new Promise<{ contentType: 'image/jpeg' | 'image/png' | 'image/webp'; dataBase64: string }>((resolve, reject) => {
  const r = new FileReader();
  r.onload = () => resolve({ contentType: f.type as 'image/jpeg', dataBase64: String(r.result).split(',')[1] ?? '' });
  r.onerror = () => reject(r.error ?? new Error('cannot read the photo'));
  r.readAsDataURL(f);
});

/**
 * The point typed into the form: none (both blank), or two numbers in range (a decimal comma is taken
 * as a point); else the message key and the field at fault.
 */
export function coordinates(latText: string, lonText: string): { location: { lat: number; lon: number } | null } | { problem: string; field: 'lat' | 'lon' | 'both' } {
  const a = latText.trim().replace(/[,，]/, '.');
  const o = lonText.trim().replace(/[,，]/, '.');
  if (!a && !o) return { location: null };
  if (!a || !o) return { problem: 'cBothCoords', field: a ? 'lon' : 'lat' };
  const num = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;
  const lat = num.test(a) ? Number(a) : NaN;
  const lon = num.test(o) ? Number(o) : NaN;
  if (!(lat >= -90 && lat <= 90)) return { problem: 'cBadLat', field: 'lat' };
  if (!(lon >= -180 && lon <= 180)) return { problem: 'cBadLon', field: 'lon' };
  return { location: { lat, lon } };
}

/** The filing form: the hotline's (zones to pick from) and the public one (a point: the device's location or typed). */
function complaintForm(mode: 'hotline' | 'public', onFiled: () => void): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert', id: 'c-error' });
  const receipt = h('div', { id: 'c-receipt', role: 'status' });
  const zone = h('select', { id: 'c-zone', name: 'zoneId' }, h('option', { value: '' }, t('cZonePoint')));
  if (mode === 'hotline') void call('GET /api/v1/zones').then((zs) => zs.forEach((z) => zone.append(h('option', { value: z.id }, localName(z.name, z.nameZh))))).catch(() => undefined);
  const lat = h('input', { id: 'c-lat', name: 'lat', inputmode: 'decimal', placeholder: '32.041', 'aria-describedby': 'c-coord-error' });
  const lon = h('input', { id: 'c-lon', name: 'lon', inputmode: 'decimal', placeholder: '118.781', 'aria-describedby': 'c-coord-error' });
  const coordError = h('p', { class: 'error', id: 'c-coord-error', role: 'alert' });
  // Checked on submit: the form says which coordinate is wrong before anything is sent. The message
  // goes when the point is edited, not when the field is left: a line vanishing as the field blurs on a
  // tap of the submit button would move the button from under the finger and the tap would be lost.
  const checkCoords = () => {
    const c = coordinates(lat.value, lon.value);
    coordError.textContent = 'problem' in c ? t(c.problem) : '';
    lat.setAttribute('aria-invalid', String('problem' in c && c.field !== 'lon'));
    lon.setAttribute('aria-invalid', String('problem' in c && c.field !== 'lat'));
    return c;
  };
  const editing = () => {
    coordError.textContent = '';
    lat.removeAttribute('aria-invalid');
    lon.removeAttribute('aria-invalid');
  };
  lat.addEventListener('input', editing);
  lon.addEventListener('input', editing);
  const here = h('button', { type: 'button', class: 'secondary', onclick: () => navigator.geolocation?.getCurrentPosition((p) => {
    lat.value = p.coords.latitude.toFixed(6);
    lon.value = p.coords.longitude.toFixed(6);
  }) }, t('cHere'));
  const form = h('form', { id: `c-form-${mode}`, class: 'card complaint-form' },
    h('h2', null, mode === 'hotline' ? t('cFileHotline') : t('cFilePublic')),
    h('label', { for: 'c-category' }, t('cCategory')),
    h('select', { id: 'c-category', name: 'category', required: true }, CATEGORIES.map((c) => h('option', { value: c }, t(`cat_${c}`)))),
    h('label', { for: 'c-description' }, t('cDescription')),
    h('textarea', { id: 'c-description', name: 'description', required: true, minlength: 5, maxlength: 2000, rows: 4 }),
    mode === 'hotline' ? [h('label', { for: 'c-zone' }, t('cZone')), zone] : null,
    h('div', { class: 'row' }, h('label', null, t('cLat'), lat), h('label', null, t('cLon'), lon), here), coordError,
    h('label', { for: 'c-address' }, t('cAddress')),
    h('input', { id: 'c-address', name: 'address', maxlength: 300 }),
    h('label', { for: 'c-photos' }, t('cPhotos')),
    h('input', { id: 'c-photos', name: 'photos', type: 'file', accept: 'image/jpeg,image/png,image/webp', multiple: true }),
    h('fieldset', null, h('legend', null, t('cContact')),
      h('label', { for: 'c-name' }, t('cName')), h('input', { id: 'c-name', name: 'name', maxlength: 100 }),
      h('label', { for: 'c-phone' }, t('cPhone')), h('input', { id: 'c-phone', name: 'phone', type: 'tel', maxlength: 32 })),
    h('button', { type: 'submit', class: 'primary big' }, t('cSubmit')),
    error, receipt);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    const point = checkCoords();
    if ('problem' in point) {
      (point.field === 'lon' ? lon : lat).focus();
      return;
    }
    const f = new FormData(form);
    const files = [...(form.querySelector<HTMLInputElement>('#c-photos')?.files ?? [])].slice(0, 5);
    void (async () => {
      const str = (k: string) => String(f.get(k) ?? '').trim();
      const contact = { ...(str('name') ? { name: str('name') } : {}), ...(str('phone') ? { phone: str('phone') } : {}) };
      const body: NewComplaint = {
        category: str('category') as NewComplaint['category'], description: str('description'),
        ...(str('zoneId') ? { zoneId: str('zoneId') } : {}),
        ...(point.location ? { location: point.location } : {}),
        ...(str('address') ? { address: str('address') } : {}),
        ...(files.length ? { photos: await Promise.all(files.map(readPhoto)) } : {}),
        ...(Object.keys(contact).length ? { contact } : {}),
      };
      const r = mode === 'hotline' ? await call('POST /api/v1/complaints', { body }) : await call('POST /api/v1/public/complaints', { body });
      mount(receipt, h('div', { class: 'receipt' },
        h('p', null, h('strong', null, t('cTracking')), ' ', h('code', { id: 'c-tracking' }, r.trackingNumber)),
        h('p', null, h('strong', null, t('cCheckCode')), ' ', h('code', { id: 'c-check' }, r.checkCode)),
        h('p', null, `${t(`cst_${r.status}`)} · ${t('cReplyDue')} ${when(r.replyDueAt)}`),
        h('p', { class: 'muted' }, t('cKeepCodes'))));
      form.reset();
      onFiled();
    })().catch((err: unknown) => { error.textContent = explain(err); });
  });
  return form;
}

/** The complainant's lookup: tracking number and check code, nothing else shown. */
function lookupForm(): HTMLElement {
  const out = h('div', { id: 'l-result', role: 'status' });
  const form = h('form', { id: 'lookup', class: 'card' },
    h('h2', null, t('cLookup')),
    h('label', { for: 'l-tracking' }, t('cTracking')), h('input', { id: 'l-tracking', name: 'trackingNumber', required: true, autocapitalize: 'characters' }),
    h('label', { for: 'l-code' }, t('cCheckCode')), h('input', { id: 'l-code', name: 'checkCode', required: true, autocapitalize: 'characters' }),
    h('button', { type: 'submit', class: 'primary' }, t('cLookupGo')), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = new FormData(form);
    call('POST /api/v1/public/complaints/status', { body: { trackingNumber: String(f.get('trackingNumber')), checkCode: String(f.get('checkCode')) } })
      .then((s) => mount(out, h('dl', { class: 'facts' },
        h('dt', null, t('cCategory')), h('dd', null, t(`cat_${s.category}`)),
        h('dt', null, t('cStatus')), h('dd', { id: 'l-status' }, t(`cst_${s.status}`)),
        h('dt', null, t('cReceived')), h('dd', null, when(s.receivedAt)),
        h('dt', null, t('cReplyDue')), h('dd', null, when(s.replyDueAt)),
        h('dt', null, t('cReply')), h('dd', { id: 'l-reply' }, s.reply ?? '—'))))
      .catch((err: unknown) => mount(out, h('p', { class: 'error' }, err instanceof ApiError && err.status === 404 ? t('cNotFound') : explain(err))));
  });
  return form;
}

/** The public page (no login): file a complaint, or look one up. */
export function publicComplaintView(): HTMLElement {
  return h('main', { id: 'public', class: 'public-complaint' },
    h('h1', null, t('cPublicTitle')),
    h('div', { class: 'tablet-grid' }, h('div', { class: 'col' }, complaintForm('public', () => undefined)), h('div', { class: 'col' }, lookupForm())),
    h('p', null, h('a', { href: '#/' }, t('cToLogin'))));
}

/** Why a complaint waits for the coordination desk, in the desk's language. */
function coordinationReason(c: Complaint): string {
  if (c.coordinationCode === 'declined') {
    return t('coord_declined', { team: localName(c.declinedByTeamName ?? c.declinedByTeamId ?? '—', c.declinedByTeamNameZh), reason: c.declineReason ?? '' });
  }
  return c.coordinationCode ? t(`coord_${c.coordinationCode}`) : c.coordinationReason ?? '';
}

function complaintRow(c: Complaint): HTMLElement {
  return h('li', { class: ['complaint', `cst-${c.status}`], 'data-id': c.id },
    h('div', null, h('code', null, c.trackingNumber), ' ', h('strong', null, t(`cat_${c.category}`)), ' · ', c.zoneName ? localName(c.zoneName, c.zoneNameZh) : c.address ?? '—', ' · ', when(c.receivedAt)),
    h('p', null, c.description),
    h('p', { class: 'muted' }, t(`cst_${c.status}`), c.teamId ? ` · ${localName(c.teamName ?? c.teamId, c.teamNameZh)}` : '', c.status === 'coordination' ? ` · ${coordinationReason(c)}` : '',
      c.escalationLevel ? ` · ${t('cEscalated', { n: c.escalationLevel })}` : '', c.caseId ? ' · ' : '', c.caseId ? h('a', { href: `#/case/${c.caseId}` }, t('cCase')) : null));
}

/** The hotline desk: file, then watch the coordination queue and the latest complaints. */
export function hotlineView(): View {
  const queue = h('ul', { id: 'queue', class: 'complaint-list' });
  const recent = h('ul', { id: 'recent', class: 'complaint-list' });
  // A row is rebuilt only when its complaint changed: a case link being tapped stays across the 15 s refresh.
  const queueRows = keyedRows((c: Complaint) => c.id, (c) => JSON.stringify(c), complaintRow);
  const recentRows = keyedRows((c: Complaint) => c.id, (c) => JSON.stringify(c), complaintRow);
  const none = h('li', { class: 'muted' }, t('none'));
  const load = () => Promise.all([
    call('GET /api/v1/complaints', { query: { status: 'coordination', limit: 50 } }).then((cs) => place(queue, ...(cs.length ? queueRows(cs) : [none]))),
    call('GET /api/v1/complaints', { query: { limit: 20 } }).then((cs) => place(recent, ...recentRows(cs))),
  ]).catch(() => undefined);
  void load();
  const timer = setInterval(() => void load(), 15_000);
  const el = h('section', { class: 'hotline' }, h('h1', null, t('cHotlineTitle')),
    h('div', { class: 'tablet-grid' },
      h('div', { class: 'col' }, complaintForm('hotline', () => void load())),
      h('div', { class: 'col' },
        h('section', { class: 'panel', id: 'coordination' }, h('h2', null, t('cQueue')), queue),
        h('section', { class: 'panel' }, h('h2', null, t('cRecent')), recent))));
  return { el, dispose: () => clearInterval(timer) };
}

/** The agency head's complaints: those the coordination queue escalated to them, until the desk assigns them. */
export function escalatedView(): View {
  const list = h('ul', { id: 'escalated', class: 'complaint-list' });
  const rows = keyedRows((c: Complaint) => c.id, (c) => JSON.stringify(c), complaintRow);
  const none = h('li', { class: 'muted' }, t('none'));
  const load = () => call('GET /api/v1/complaints', { query: { status: 'coordination', limit: 100 } })
    .then((cs) => place(list, ...(cs.length ? rows(cs) : [none]))).catch(() => undefined);
  void load();
  const timer = setInterval(() => void load(), 15_000);
  const el = h('section', { class: 'hotline' }, h('h1', null, t('cEscalatedTitle')), h('p', { class: 'muted' }, t('cEscalatedHint')),
    h('section', { class: 'panel' }, list));
  return { el, dispose: () => clearInterval(timer) };
}

/**
 * The complaints fused into a case, with the sensor record, and the team's reply. One panel per case
 * screen: a complaint is rebuilt only when it changed, so a reply being written to one survives a
 * refresh that brings another complaint or another's reply.
 */
export function caseComplaintsPanel(canReply: boolean, reload: () => void): (list: readonly OnCase[]) => HTMLElement | null {
  const title = h('h2');
  const items = h('ul', { class: 'complaint-list' });
  const el = h('section', { class: 'panel complaints', id: 'd-complaints' }, title, items);
  const rows = keyedRows((c: OnCase) => c.id, (c) => JSON.stringify(c), (c) => {
    const error = h('p', { class: 'error', role: 'alert' });
    const reply = canReply && ['received', 'handled_in_stages'].includes(c.status) ? h('form', { class: 'reply' },
      h('select', { name: 'status' }, (['handled', 'handled_in_stages', 'not_handled'] as const).map((s) => h('option', { value: s }, t(`cst_${s}`)))),
      h('textarea', { name: 'reply', rows: 2, required: true, minlength: 2, placeholder: t('cReplyHint') }),
      h('button', { type: 'submit', class: 'secondary' }, t('cReplySend')), error) : null;
    reply?.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = new FormData(reply);
      call('POST /api/v1/complaints/{id}/reply', { params: { id: c.id }, body: { status: String(f.get('status')) as 'handled', reply: String(f.get('reply')) } })
        .then(reload).catch((err: unknown) => { error.textContent = explain(err); });
    });
    const s = c.sensorRecord;
    return h('li', { class: ['complaint', `cst-${c.status}`] },
      h('div', null, h('code', null, c.trackingNumber), ' ', h('strong', null, t(`cat_${c.category}`)), ' · ', when(c.occurredAt), ' · ', t(`cst_${c.status}`)),
      h('p', null, c.description),
      s ? h('p', { class: ['sensor-record', `sr-${s.verdict}`], 'data-verdict': s.verdict }, h('strong', null, t(`sr_${s.verdict}`)), ' ', s.text) : null,
      c.reply ? h('p', null, h('strong', null, t('cReply')), ' ', c.reply) : null,
      reply);
  });
  return (list) => {
    if (list.length === 0) return null;
    title.textContent = t('cOnCase', { n: list.length });
    place(items, ...rows(list));
    return el;
  };
}

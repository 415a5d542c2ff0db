import { call, type Res } from '../api/client';
import { hourBars } from '../charts';
import { h, keptPart, mount, place } from '../dom';
import { localName, when } from '../format';
import { t } from '../i18n';
import type { View } from './view';
import { explain } from '../errors';

const DASHBOARDS: [string, string][] = [
  ['dashLevels', 'd/riverside-levels'],
  ['dashDevices', 'd/riverside-devices'],
  ['dashCases', 'd/riverside-cases'],
  ['dashModels', 'd/riverside-models'],
];

/** The operations overview: devices, throughput, open work and what is late, refreshed every 15 s and on live events. */
export function opsView(): View {
  const body = h('div', { class: 'ops-grid', id: 'ops' }, h('p', { class: 'muted' }, t('loading')));
  const links = h('nav', { class: 'grafana', 'aria-label': t('grafana') });
  const el = h('section', { class: 'ops' }, h('div', { class: 'section-head' }, h('h1', null, t('opsTitle')), links), body);
  void call('GET /api/v1/client-config').then((cfg) => mount(links, h('span', { class: 'muted' }, t('grafana')),
    DASHBOARDS.map(([k, path]) => h('a', { href: `${cfg.grafanaUrl.replace(/\/$/, '')}/${path}`, target: '_blank', rel: 'noopener', class: 'secondary link-button' }, t(k))))).catch(() => undefined);

  type Overview = Res<'GET /api/v1/ops/overview'>;
  const stat = (label: string, value: number | string, tone = '', id = '') => h('div', { class: ['stat', tone], id: id || undefined }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
  const open = (o: Overview) => o.openByState.reduce((a, s) => a + s.cases, 0);
  // Each part is rebuilt only when what it shows changed: a case link being tapped stays in the page
  // across the 15 s refresh and the live events.
  const stats = keptPart((o: Overview) => JSON.stringify([o.devices, open(o), o.slaBreaches.length, o.fallbackQueue.length]), (o) => h('div', { class: 'stats' },
    stat(t('devicesOnline'), o.devices.online, 'ok', 'stat-online'),
    stat(t('devicesOffline'), o.devices.offline, o.devices.offline ? 'warn' : '', 'stat-offline'),
    stat(t('openCases'), open(o), '', 'stat-open'),
    stat(t('slaBreaches'), o.slaBreaches.length, o.slaBreaches.length ? 'bad' : 'ok', 'stat-breaches'),
    stat(t('fallbackQueue'), o.fallbackQueue.length, o.fallbackQueue.length ? 'bad' : 'ok', 'stat-fallback')));
  const perHour = keptPart((o: Overview) => JSON.stringify([o.readingsPerHour, o.alertsPerHour]), (o) => h('div', { class: 'charts-2' },
    hourBars(t('readingsPerHour'), o.readingsPerHour.map((r) => ({ hour: r.hour, n: r.readings })), '#0050b3'),
    hourBars(t('alertsPerHour'), o.alertsPerHour.map((r) => ({ hour: r.hour, n: r.alerts })), '#c00000')));
  const work = keptPart((o: Overview) => JSON.stringify([o.openByState, o.slaBreaches]), (o) => h('div', { class: 'charts-2' },
    h('section', { class: 'panel' }, h('h2', null, t('openByState')),
      h('div', { class: 'bars' }, o.openByState.map((s) => h('div', { class: 'bar-row' },
        h('span', { class: 'bar-label' }, t(`state_${s.state}`)),
        h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: `${(s.cases / Math.max(1, ...o.openByState.map((x) => x.cases))) * 100}%` } })),
        h('span', { class: 'bar-value' }, s.cases))))),
    h('section', { class: 'panel', id: 'breaches' }, h('h2', null, t('slaBreaches')),
      o.slaBreaches.length ? h('ul', null, o.slaBreaches.map((b) => h('li', null, h('a', { href: `#/case/${b.caseId}` }, `#${b.number}`), ` ${t(`deadline_${b.deadline}`)} ${when(b.dueAt)} · ${b.teamId ? localName(b.teamName, b.teamNameZh) : t('fallbackQueue')} · ${localName(b.title, b.titleZh)}`)))
        : h('p', { class: 'muted' }, t('none')))));
  const fallback = keptPart((o: Overview) => JSON.stringify(o.fallbackQueue), (o) => h('section', { class: 'panel', id: 'fallback' }, h('h2', null, t('fallbackQueue')),
    o.fallbackQueue.length ? h('ul', null, o.fallbackQueue.map((c) => h('li', null, h('a', { href: `#/case/${c.caseId}` }, `#${c.number}`), ` ${localName(c.zoneName, c.zoneNameZh)} · ${localName(c.title, c.titleZh)} · ${when(c.createdAt)}`)))
      : h('p', { class: 'muted' }, t('none'))));
  const render = (o: Overview) => place(body, stats(o), perHour(o), work(o), fallback(o));
  const load = () => call('GET /api/v1/ops/overview').then(render).catch((err: unknown) => mount(body, h('p', { class: 'error' }, explain(err))));
  void load();
  const timer = setInterval(() => void load(), 15_000);
  return {
    el,
    update: (c) => { if (c.type === 'case.opened' || c.type === 'case.updated') void load(); },
    dispose: () => clearInterval(timer),
  };
}

import './style.css';
import { currentUser, login, logout, onSessionChange, resume } from './api/client';
import { $, h, mount } from './dom';
import { lang, setLang, t } from './i18n';
import { alertNewWork, Live } from './live';
import { flush, onOutboxChange, startOutbox } from './offline';
import { emit, loadCases, refreshOutbox, state, subscribe, zones } from './state';
import { localName, setTimeZone } from './format';
import { inboxView } from './views/inbox';
import { caseView } from './views/case';
import { mapView } from './views/map';
import { outboxView } from './views/outbox';
import { reviewView } from './views/review';
import { opsView } from './views/ops';
import { webhooksView } from './views/webhooks';
import { devicesView } from './views/devices';
import { inspectionsView, inspectionView } from './views/inspections';
import { escalatedView, hotlineView, publicComplaintView } from './views/complaints';
import type { View } from './views/view';
import { explain } from './errors';

const root = $('#app')!;
let view: View | null = null;
let unsubscribe: (() => void) | null = null;

const live = new Live(
  (m) => {
    if (m.type === 'case.opened') {
      if (!state.cases.has(m.case.id)) {
        state.fresh.add(m.case.id);
        if (['officer', 'team_lead'].includes(state.user?.role ?? '')) alertNewWork();
      }
      state.cases.set(m.case.id, m.case);
    } else if (m.type === 'case.updated' || m.type === 'reset') {
      void loadCases().catch(() => undefined);
    }
    emit(m);
  },
  (s) => {
    state.live = s;
    emit({ type: 'live' });
  },
);

function tabsFor(role: string): [string, string][] {
  switch (role) {
    case 'officer':
    case 'team_lead':
      return [['#/inbox', 'tabInbox'], ['#/inspections', 'tabInspections'], ['#/map', 'tabMap'], ['#/outbox', 'tabOutbox']];
    case 'reviewer':
      return [['#/review', 'tabReview']];
    case 'hotline':
      return [['#/hotline', 'tabHotline']];
    case 'agency_head':
      // What the head may open: the complaints escalated to them, every team's cases (deadline
      // extensions are theirs to approve) and the map; the operators' screens would only refuse them.
      return [['#/escalated', 'tabEscalated'], ['#/inbox', 'tabCases'], ['#/map', 'tabMap']];
    default:
      return [['#/ops', 'tabOps'], ['#/devices', 'tabDevices'], ['#/inbox', 'tabCases'], ['#/inspections', 'tabInspections'], ['#/map', 'tabMap'], ['#/webhooks', 'tabWebhooks']];
  }
}

function header(): HTMLElement {
  const user = state.user!;
  const pending = state.outbox.filter((i) => i.status === 'pending').length;
  const refused = state.outbox.filter((i) => i.status === 'refused').length;
  const fresh = state.fresh.size;
  const route = location.hash || '#/';
  return h('header', { class: 'top' },
    h('div', { class: 'brand' }, h('img', { src: '/icon.svg', alt: '', width: 36, height: 36 }), h('span', null, t('appName'))),
    h('nav', { 'aria-label': t('navigation') }, tabsFor(user.role).map(([href, key], i) => {
      const active = route.startsWith(href) || (i === 0 && (route === '#/' || route === '#'));
      return h('a', { href, class: ['tab', active && 'active'], 'aria-current': active ? 'page' : undefined },
        t(key),
        key === 'tabInbox' && fresh ? h('span', { class: 'badge', 'aria-label': t('newCount', { n: fresh }) }, fresh) : null,
        key === 'tabOutbox' && pending + refused ? h('span', { class: ['badge', refused && 'bad'], id: 'outbox-badge' }, pending + refused) : null);
    })),
    h('div', { class: 'status' },
      h('span', { id: 'live', class: ['live', state.live], role: 'status' }, t(`live_${state.live}`)),
      pending ? h('span', { id: 'pending', class: 'pending', role: 'status' }, t('pendingCount', { n: pending })) : null,
      h('span', { id: 'who', class: 'who' }, localName(user.displayName, user.displayNameZh)),
      h('button', { type: 'button', class: 'ghost', id: 'lang', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, lang() === 'zh' ? 'English' : '中文'),
      h('button', { type: 'button', class: 'ghost', id: 'logout', onclick: () => void signOut() }, t('logout'))));
}

function route(): View {
  const hash = location.hash || '#/';
  const [, name, arg] = hash.split('/');
  const role = state.user!.role;
  switch (name) {
    case 'case': return caseView(arg ?? '', role === 'reviewer' ? 'desk' : 'tablet');
    case 'inbox': return inboxView();
    case 'map': return mapView();
    case 'outbox': return outboxView();
    case 'review': return reviewView();
    case 'ops': return opsView();
    case 'devices': return devicesView();
    case 'inspections': return inspectionsView();
    case 'inspection': return inspectionView(arg ?? '');
    case 'hotline': return hotlineView();
    case 'escalated': return escalatedView();
    case 'webhooks': return webhooksView();
    default: if (role === 'hotline') return hotlineView(); if (role === 'agency_head') return escalatedView(); return role === 'reviewer' ? reviewView() : role === 'officer' || role === 'team_lead' ? inboxView() : opsView();
  }
}

function render(): void {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('appName');
  view?.dispose?.();
  unsubscribe?.();
  if (!state.user) {
    view = null;
    // The citizens' page needs no login.
    mount(root, location.hash.startsWith('#/complaint') ? publicComplaintView() : loginView());
    return;
  }
  view = route();
  let top = header();
  mount(root, top, h('main', { id: 'main' }, view.el));
  unsubscribe = subscribe((c) => {
    if (c.type !== 'tick') {
      // Replaced only when it shows something else: a tab being tapped stays in the page.
      const next = header();
      if (!next.isEqualNode(top)) {
        top.replaceWith(next);
        top = next;
      }
    }
    view?.update?.(c);
  });
}

function loginView(): HTMLElement {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const form = h('form', { id: 'login', class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('appName')),
    h('p', { class: 'muted' }, t('loginHint')),
    h('label', { for: 'username' }, t('username')),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' }),
    h('label', { for: 'password' }, t('password')),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'primary big' }, t('login')),
    error,
    h('button', { type: 'button', class: 'ghost', onclick: () => { setLang(lang() === 'zh' ? 'en' : 'zh'); render(); } }, lang() === 'zh' ? 'English' : '中文'),
    h('p', null, h('a', { href: '#/complaint', id: 'to-complaint' }, t('cPublicLink'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    const f = new FormData(form);
    login(String(f.get('username')), String(f.get('password')))
      .then(() => start())
      .catch((err: unknown) => {
        error.textContent = err instanceof Error && 'code' in err && err.code === 'BAD_CREDENTIALS' ? t('badCredentials') : explain(err);
      });
  });
  return form;
}

async function start(): Promise<void> {
  state.user = currentUser();
  if (!state.user) return render();
  if (!location.hash) location.hash = '#/';
  // The district's local time for every time shown (its zones share one timezone), known before the
  // first screen: redrawing it once the answer came would wipe what was being typed. Kept on the device,
  // so a slow or absent network only waits a moment.
  await Promise.race([
    zones().then((zs) => { if (zs[0]) setTimeZone(zs[0].timezone); }).catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 2000)),
  ]);
  render();
  live.start();
  await Promise.all([loadCases().catch(() => undefined), refreshOutbox(), flush().catch(() => undefined)]);
}

async function signOut(): Promise<void> {
  live.stop();
  state.user = null;
  state.cases.clear();
  state.fresh.clear();
  await logout();
  render();
}

onSessionChange(() => {
  if (!currentUser() && state.user) void signOut();
});
onOutboxChange(() => void refreshOutbox());
window.addEventListener('hashchange', render);
setInterval(() => emit({ type: 'tick' }), 1000);
startOutbox();

// Not under Vite's development server (hot reload), where a cached shell would hide changes.
if ('serviceWorker' in navigator && !import.meta.hot) {
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}

void resume().then(() => start());

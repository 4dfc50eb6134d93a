// Theta One Console: sign-in, the screens behind it (#/apis, #/keys/key_…, #/billing, #/audit), and sign-out.
import { call, session, whenUnauthorized } from './api.js';
import { byId, setMessage, whileBusy } from './dom.js';
import { closeAllDialogs, setUpDialogs } from './dialogs.js';
import { hydrateIcons } from './icons.js';
import { clearToasts } from './toast.js';
import { resetKeys, setUpKeys, showKeys } from './views/keys.js';
import { resetKeyDetail, setUpKeyDetail, showKeyDetail } from './views/key.js';
import { resetBilling, setUpBilling, showBilling } from './views/billing.js';
import { resetAudit, setUpAudit, showAudit } from './views/audit.js';

const SCREENS = {
  apis: { title: 'API Keys', show: showKeys, reset: resetKeys },
  // One key, #/keys/key_…: a page under APIs.
  key: { title: 'API key', show: showKeyDetail, reset: resetKeyDetail, nav: 'apis' },
  billing: { title: 'Billing', show: showBilling, reset: resetBilling },
  audit: { title: 'Audit log', show: showAudit, reset: resetAudit },
};
const narrow = window.matchMedia('(max-width: 900px)');
let signedIn = false;
let currentScreen = null;

function start() {
  hydrateIcons();
  setUpDialogs();
  setUpKeys();
  setUpKeyDetail();
  setUpBilling();
  setUpAudit();
  setUpSignIn();
  setUpMenu();

  byId('skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    byId(`${routeName()}-title`).focus();
  });
  byId('signout').addEventListener('click', () => signOut('You have signed out.'));
  whenUnauthorized(() => {
    if (signedIn) signOut('Your session ended: the admin token is no longer accepted. Sign in again.');
  });
  // The screen already open: its link loads it again (usage changes "Last used" and the balance).
  for (const link of document.querySelectorAll('.nav-link[data-route]')) {
    link.addEventListener('click', (event) => {
      if (link.dataset.route !== routeName() || !location.hash.startsWith('#/')) return;
      event.preventDefault();
      showScreen({ focus: true });
    });
  }
  window.addEventListener('hashchange', () => {
    if (signedIn && location.hash.startsWith('#/')) showScreen({ focus: true });
  });

  if (session.token()) enterApp({ focus: false });
  else showSignIn('');
}

// MARK: - Sign in and out

function setUpSignIn() {
  const form = byId('signin-form');
  const input = byId('signin-token');
  const error = byId('signin-token-error');
  input.addEventListener('input', () => {
    setMessage(error, '');
    input.removeAttribute('aria-invalid');
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      refuse('Enter the admin token.');
      return;
    }
    whileBusy(byId('signin-submit'), async () => {
      try {
        await call('GET', '/v1/account', { token });
      } catch (failure) {
        refuse(failure.status === 401
          ? 'That admin token was not accepted. Check it and try again.'
          : failure.detail);
        return;
      }
      session.signIn(token);
      input.value = '';
      enterApp({ focus: true });
    });
  });

  function refuse(message) {
    setMessage(error, message);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    input.select();
  }
}

function showSignIn(notice) {
  byId('app').hidden = true;
  byId('signin').hidden = false;
  document.title = 'Sign in · Theta One Console';
  setMessage(byId('signin-notice'), notice);
  byId('signin-token').focus();
}

function enterApp({ focus }) {
  signedIn = true;
  byId('signin').hidden = true;
  setMessage(byId('signin-notice'), '');
  setMessage(byId('signin-token-error'), '');
  byId('signin-token').removeAttribute('aria-invalid');
  byId('app').hidden = false;
  if (!location.hash.startsWith('#/') || !SCREENS[routeName()]) history.replaceState(null, '', '#/apis');
  showScreen({ focus });
}

function signOut(notice) {
  signedIn = false;
  currentScreen = null;
  session.clear();
  closeAllDialogs();
  closeMenu({ restoreFocus: false });
  clearToasts();
  for (const screen of Object.values(SCREENS)) screen.reset();
  showSignIn(notice);
}

// MARK: - Screens

/** The screen the URL names: `#/apis`, `#/billing`, `#/audit`, or `#/keys/<id>` for one key. */
function routeName() {
  if (/^#\/keys\/[^/]+$/.test(location.hash)) return 'key';
  const match = /^#\/([a-z]+)$/.exec(location.hash);
  return match && SCREENS[match[1]] && match[1] !== 'key' ? match[1] : 'apis';
}

function keyInRoute() {
  const match = /^#\/keys\/([^/]+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function showScreen({ focus }) {
  const name = routeName();
  const from = currentScreen;
  currentScreen = name;
  for (const view of document.querySelectorAll('.view')) view.hidden = view.dataset.view !== name;
  const section = SCREENS[name].nav ?? name;
  for (const link of document.querySelectorAll('.nav-link[data-route]')) {
    if (link.dataset.route === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${SCREENS[name].title} · Theta One Console`;
  closeAllDialogs(); // Back/Forward while a dialog is open: the dialog belongs to the screen being left.
  closeMenu({ restoreFocus: false });
  // Back from a key to the list: the list puts the focus on that key's row itself.
  const returning = name === 'apis' && from === 'key';
  if (focus && !returning) byId(`${name}-title`).focus();
  SCREENS[name].show({ from, id: keyInRoute(), focus });
}

// MARK: - The sidebar as a drawer on narrow screens

function setUpMenu() {
  const button = byId('menu-button');
  button.addEventListener('click', () => (byId('sidebar').classList.contains('is-open') ? closeMenu({ restoreFocus: true }) : openMenu()));
  byId('scrim').addEventListener('click', () => closeMenu({ restoreFocus: true }));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && byId('sidebar').classList.contains('is-open')) closeMenu({ restoreFocus: true });
  });
  narrow.addEventListener('change', () => closeMenu({ restoreFocus: false }));
}

function openMenu() {
  byId('sidebar').classList.add('is-open');
  byId('scrim').hidden = false;
  byId('menu-button').setAttribute('aria-expanded', 'true');
  byId('main').inert = true;
  const current = document.querySelector('.nav-link[aria-current="page"]') ?? document.querySelector('.nav-link');
  current.focus();
}

function closeMenu({ restoreFocus }) {
  const sidebar = byId('sidebar');
  const wasOpen = sidebar.classList.contains('is-open');
  sidebar.classList.remove('is-open');
  byId('scrim').hidden = true;
  byId('menu-button').setAttribute('aria-expanded', 'false');
  byId('main').inert = false;
  if (wasOpen && restoreFocus) byId('menu-button').focus();
}

start();

// Short confirmations in a polite live region; they fade on their own.
import { h } from './dom.js';
import { iconSpan } from './icons.js';

export function toast(message, { timeout = 5000 } = {}) {
  const region = document.getElementById('toasts');
  const item = h('div', { class: 'toast' }, iconSpan('check'), h('span', { text: message }));
  region.append(item);
  setTimeout(() => item.remove(), timeout);
}

export function clearToasts() {
  document.getElementById('toasts').replaceChildren();
}

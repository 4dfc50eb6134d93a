// Modal dialogs on native <dialog>: showModal() makes the page behind inert (focus stays inside) and
// Esc closes. Here: [data-close] buttons, and focus returned to whatever opened the dialog.

const openers = new WeakMap();

/**
 * Opens `dialog` as a modal. `opener` gets focus back when it closes: an element, or a function
 * returning one (evaluated at close time, for openers that may have been replaced meanwhile).
 */
export function openModal(dialog, opener = document.activeElement) {
  openers.set(dialog, opener);
  dialog.showModal();
  const first = dialog.querySelector('[autofocus]');
  if (first) first.focus();
}

/** Wires every `dialog.modal` on the page once, at start-up. */
export function setUpDialogs() {
  for (const dialog of document.querySelectorAll('dialog.modal')) {
    dialog.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('[data-close]')) dialog.close('cancel');
    });
    dialog.addEventListener('keydown', (event) => keepFocusInside(dialog, event));
    dialog.addEventListener('close', () => {
      let opener = openers.get(dialog);
      openers.delete(dialog);
      if (typeof opener === 'function') opener = opener();
      // Another modal took over (create → key pop-up): it owns the focus now.
      if (document.querySelector('dialog[open]')) return;
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    });
  }
}

/** Closes every open dialog (on sign-out). */
export function closeAllDialogs() {
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close('signout');
}

const TABBABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

/** Tab from the last control goes to the first, Shift+Tab from the first to the last. */
function keepFocusInside(dialog, event) {
  if (event.key !== 'Tab') return;
  const tabbable = [...dialog.querySelectorAll(TABBABLE)]
    .filter((element) => !element.disabled && element.tabIndex >= 0 && element.getClientRects().length > 0)
    .filter((element) => isTabStop(element, dialog));
  if (tabbable.length === 0) return;
  const first = tabbable[0];
  const last = tabbable[tabbable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

/** A radio group is one tab stop, its checked radio (or its first, when none is checked), as the browser tabs. */
function isTabStop(element, dialog) {
  if (!(element instanceof HTMLInputElement) || element.type !== 'radio' || !element.name) return true;
  const group = [...dialog.querySelectorAll('input[type="radio"]')].filter((radio) => radio.name === element.name);
  const stop = group.find((radio) => radio.checked) ?? group[0];
  return element === stop;
}

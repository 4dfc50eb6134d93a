// Small DOM helpers. Text always goes in through textContent, never innerHTML.

/**
 * Creates an element. `props`: `class`, `text`, `dataset`, `on<event>` listeners, and attributes
 * (true → present, false/null → absent). Children may be nodes, strings or arrays of them.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

export const byId = (id) => document.getElementById(id);

/** Shows a message in an element (or hides it when the message is empty). */
export function setMessage(element, message) {
  element.textContent = message ?? '';
  element.hidden = !message;
}

/** Marks a button busy (spinner, disabled) for the duration of `work`. */
export async function whileBusy(button, work) {
  button.disabled = true;
  button.classList.add('is-busy');
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.classList.remove('is-busy');
    button.removeAttribute('aria-busy');
  }
}

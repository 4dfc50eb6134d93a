// Stroke icons on a 24×24 grid, drawn for this console. Built as DOM nodes (no innerHTML, no inline styles).
const SVG = 'http://www.w3.org/2000/svg';

const shapes = {
  key: [['circle', { cx: 7.5, cy: 15.5, r: 4.5 }], ['path', { d: 'M10.7 12.3 20 3M16 7l3 3M14 9l2 2' }]],
  card: [['rect', { x: 2.5, y: 5, width: 19, height: 14, rx: 2.5 }], ['path', { d: 'M2.5 10h19M6.5 15h4' }]],
  list: [['rect', { x: 4.5, y: 3.5, width: 15, height: 17, rx: 2.5 }], ['path', { d: 'M8.5 8.5h7M8.5 12h7M8.5 15.5h4' }]],
  doc: [['path', { d: 'M6 3h8.5L19 7.5V21H6z' }], ['path', { d: 'M14 3v5h5M9 13h6M9 17h4' }]],
  logout: [['path', { d: 'M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H3' }]],
  plus: [['path', { d: 'M12 5v14M5 12h14' }]],
  x: [['path', { d: 'M6 6l12 12M18 6 6 18' }]],
  menu: [['path', { d: 'M4 6h16M4 12h16M4 18h16' }]],
  trash: [['path', { d: 'M4 7h16M9.5 7V4.5h5V7M6.5 7l1 13h9l1-13M10 11v5.5M14 11v5.5' }]],
  copy: [['rect', { x: 9, y: 9, width: 11, height: 11, rx: 2 }], ['path', { d: 'M5 15V6a2 2 0 0 1 2-2h8' }]],
  check: [['path', { d: 'M20 6 9 17l-5-5' }]],
  alert: [['path', { d: 'M12 3.5 2.5 20h19z' }], ['path', { d: 'M12 10v4.5M12 17.2v.1' }]],
  retry: [['path', { d: 'M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6' }]],
  back: [['path', { d: 'M19 12H5M11 18l-6-6 6-6' }]],
  roll: [['path', { d: 'M4.5 10a8 8 0 0 1 14.2-3.2L20.5 9M20.5 4v5h-5M19.5 14a8 8 0 0 1-14.2 3.2L3.5 15M3.5 20v-5h5' }]],
};

/** A fresh `<svg>` for `name`, hidden from assistive technology (the text next to it says what it is). */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const [tag, attributes] of shapes[name] ?? []) {
    const shape = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) shape.setAttribute(key, String(value));
    svg.append(shape);
  }
  return svg;
}

/** Fills every `<span class="icon" data-icon="…">` under `root` that is still empty. */
export function hydrateIcons(root = document) {
  for (const holder of root.querySelectorAll('.icon[data-icon]')) {
    if (!holder.firstChild) holder.append(icon(holder.dataset.icon));
  }
}

/** `<span class="icon">` holding the icon, for building markup in JS. */
export function iconSpan(name) {
  const span = document.createElement('span');
  span.className = 'icon';
  span.append(icon(name));
  return span;
}

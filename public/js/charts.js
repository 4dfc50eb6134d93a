// Small inline-SVG charts: bars over time (one series, or stacked) and a step line over time, with
// axes, a tooltip (pointer and keyboard), a legend and a <details> table of the exact numbers.
//
// The top half is pure: scales, ticks and paths, numbers in and numbers out. The bottom half draws.
// Colours come from classes in console.css (no inline styles: CSP is default-src 'self'); the
// tooltip and every shape are SVG elements placed with attributes. Times are UTC, as the buckets are.
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

// MARK: - Scales, ticks and paths (pure)

/** Maps `[d0, d1]` onto `[r0, r1]` linearly (a zero-width domain maps everything to r0). */
export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (value) => (span === 0 ? r0 : r0 + ((value - d0) / span) * (r1 - r0));
}

/** The tick step for about `count` ticks over `span`: 1, 2 or 5 times a power of ten. */
export function niceStep(span, count) {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return Number(((fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power).toPrecision(12));
}

/** How many decimals a step needs: 0.005 → 3, 2 → 0. */
export function decimalsFor(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * Round ticks covering `[low, high]`, always including 0: `{ min, max, step, ticks }`. With `integer`, the
 * step is whole (counts of requests), so no tick reads "0.5 requests".
 */
export function valueTicks(low, high, { count = 4, integer = false } = {}) {
  const lo = Math.min(0, low);
  const hi = Math.max(0, high);
  let step = niceStep(hi - lo || 1, count);
  if (integer) step = Math.max(1, step);
  const decimals = decimalsFor(step);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.max(min + step, Math.ceil(hi / step - 1e-9) * step);
  const ticks = [];
  for (let value = min; value <= max + step / 2; value += step) ticks.push(Number(value.toFixed(decimals)));
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

/**
 * Time ticks over `[start, end]` (Unix ms) for bars of `unit` ('hour' or 'day'): at most `maxCount`,
 * on whole UTC hours (every 1, 2, 3, 6 or 12) or whole UTC days (every 1, 2, 7 or 14).
 */
export function timeTicks(start, end, maxCount, unit) {
  const steps = unit === 'hour' ? [1, 2, 3, 6, 12, 24].map((n) => n * HOUR) : [1, 2, 7, 14, 28].map((n) => n * DAY);
  const step = steps.find((s) => Math.floor((end - start) / s) + 1 <= Math.max(1, maxCount)) ?? steps[steps.length - 1];
  // Hour steps sit on multiples of the step (00:00, 06:00, …); day steps count from the first whole day.
  const first = unit === 'hour' ? Math.ceil(start / step) * step : Math.ceil(start / DAY) * DAY;
  const ticks = [];
  for (let t = first; t <= end; t += step) ticks.push(t);
  return ticks;
}

const round = (n) => Math.round(n * 10) / 10;

/**
 * An SVG path for a step line: each point's value holds until the next point's time. `points` are
 * `{ t, value }` in time order; `x` and `y` are scales.
 */
export function stepPath(points, x, y) {
  if (points.length === 0) return '';
  let d = `M${round(x(points[0].t))},${round(y(points[0].value))}`;
  for (const point of points.slice(1)) d += `H${round(x(point.t))}V${round(y(point.value))}`;
  return d;
}

/** The same step line closed down to `baseline`, for the tinted area under it. */
export function stepArea(points, x, y, baseline) {
  if (points.length === 0) return '';
  return `${stepPath(points, x, y)}V${round(y(baseline))}H${round(x(points[0].t))}Z`;
}

/**
 * Stacks each bucket's values in series order: for every bucket, `[{ key, value, from, to }]` with
 * `from`/`to` the running totals below and above the segment.
 */
export function stack(buckets, keys) {
  return buckets.map((bucket) => {
    let total = 0;
    return keys.map((key) => {
      const value = bucket.values[key] ?? 0;
      const segment = { key, value, from: total, to: total + value };
      total += value;
      return segment;
    });
  });
}

/** A bar's horizontal place in its bucket's slot: `gap` of the slot is left empty, at least 1 px wide. */
export function barBox(slotStart, slotEnd, gap = 0.25) {
  const width = Math.max(1, (slotEnd - slotStart) * (1 - gap));
  return { x: round((slotStart + slotEnd - width) / 2), width: round(width) };
}

/** The index of the last item whose `t` is at or before `t` (binary search; -1 if none). */
export function lastAtOrBefore(items, t) {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (items[middle].t <= t) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

// MARK: - Labels (UTC)

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
const momentLabel = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC',
});

/** "Jan 5" for a UTC day. */
export const formatDay = (t) => dayLabel.format(t);
/** "14:00" for a UTC hour. */
export const formatHour = (t) => hourLabel.format(t);
/** "Jan 5, 14:32" in UTC. */
export const formatMoment = (t) => momentLabel.format(t);

/** An axis label for a time tick: hour charts name the day at midnight, so the day change shows. */
function tickLabel(t, unit) {
  if (unit === 'hour') return t % DAY === 0 ? formatDay(t) : formatHour(t);
  return formatDay(t);
}

// MARK: - Drawing

let chartCount = 0;
const mounted = new WeakMap();
const resizes = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => {
    for (const entry of entries) {
      const state = mounted.get(entry.target);
      if (state && Math.round(entry.contentRect.width) !== state.width) paint(entry.target, state);
    }
  })
  : null;

/**
 * Stacked (or single) bars over time in `host`.
 * `spec`: `label` (what the chart shows, for screen readers), `unit` ("credits", "requests"),
 * `format(value)` for exact values, `domain` `[start, end]` in Unix ms, `unit` of time (`timeUnit`:
 * 'hour' | 'day'), `buckets` `[{ start, end, values: { key: n } }]`, `series` `[{ key, label, tone,
 * pattern }]`, `bucketLabel(bucket)`, optional `guides` `[{ t, label }]` (dashed vertical lines),
 * `integer` for whole-number axes, `empty` (the text when every value is 0), `tableCaption`.
 */
export function barChart(host, spec) {
  mount(host, { ...spec, kind: 'bars' });
}

/**
 * A step line over time in `host`: `points` `[{ t, value }]` (each value holds until the next point),
 * `events` `[{ t, value, kind, text }]` drawn as markers, `markers` `{ kind: { label, shape, tone } }`,
 * `stops` `[{ t, value, text }]` (what the tooltip visits), `domain`, `guides`, `format`, `unit`, `label`,
 * `table` `{ caption, head: [...], rows: [[...]] }`.
 */
export function lineChart(host, spec) {
  mount(host, { ...spec, kind: 'line' });
}

function mount(host, spec) {
  const id = mounted.get(host)?.id ?? `chart-${++chartCount}`;
  const state = { id, spec, width: 0 };
  mounted.set(host, state);
  host.classList.add('chart');
  resizes?.observe(host);
  paint(host, state, { rebuild: true });
}

/** Empties a chart (on sign-out). */
export function clearChart(host) {
  resizes?.unobserve(host);
  mounted.delete(host);
  host.replaceChildren();
}

function isEmpty(spec) {
  if (spec.kind === 'line') return spec.points.length === 0;
  return spec.buckets.every((bucket) => spec.series.every((series) => !bucket.values[series.key]));
}

function paint(host, state, { rebuild = false } = {}) {
  const { spec } = state;
  state.width = Math.round(host.clientWidth);
  if (rebuild) {
    if (isEmpty(spec)) {
      host.replaceChildren(h('p', { class: 'chart-empty', text: spec.empty ?? 'No usage yet' }));
      host.dataset.empty = 'true';
      return;
    }
    delete host.dataset.empty;
    host.replaceChildren(legend(spec, state.id), h('div', { class: 'chart-plot' }), numbersTable(spec));
  }
  if (host.dataset.empty) return;
  const plot = host.querySelector('.chart-plot');
  if (state.width <= 0) return; // hidden: drawn when it gets a width
  const hadFocus = plot.contains(document.activeElement);
  plot.replaceChildren(spec.kind === 'bars' ? drawBars(spec, state) : drawLine(spec, state));
  if (hadFocus) plot.firstChild.focus(); // redrawn for a new width under the keyboard's focus
}

function svgElement(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value != null && value !== false) element.setAttribute(key, String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Fill patterns that tell the outcome stack apart without colour: solid, diagonal, crosshatch, horizontal. */
function patternDefs(id) {
  const tile = (name, paths) => svgElement('pattern', {
    id: `${id}-${name}`, width: 6, height: 6, patternUnits: 'userSpaceOnUse', class: `chart-pattern chart-pattern-${name}`,
  }, svgElement('rect', { width: 6, height: 6, class: 'chart-pattern-ground' }),
  ...paths.map((d) => svgElement('path', { d, class: 'chart-pattern-ink' })));
  return svgElement('defs', {},
    tile('diagonal', ['M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2']),
    tile('crosshatch', ['M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2', 'M-1,5 l2,2 M0,0 l6,6 M5,-1 l2,2']),
    tile('horizontal', ['M0,1.5 H6 M0,4.5 H6']));
}

function fillFor(series, id) {
  return series.pattern && series.pattern !== 'solid' ? `url(#${id}-${series.pattern})` : null;
}

function legend(spec, id) {
  const items = spec.kind === 'bars'
    ? spec.series.filter((series) => !series.hideWhenZero || spec.buckets.some((b) => b.values[series.key]))
      .map((series) => legendItem(series.label, swatch(`${id}-legend-${series.key}`, series)))
    : Object.entries(spec.markers)
      .filter(([kind]) => spec.events.some((event) => event.kind === kind) || spec.markers[kind].always)
      .map(([, marker]) => legendItem(marker.label, markerSwatch(marker)));
  if (spec.kind === 'line') items.unshift(legendItem(spec.lineLabel ?? 'Balance', lineSwatch()));
  return h('ul', { class: 'chart-legend', 'aria-hidden': 'true' }, items);
}

function legendItem(text, icon) {
  return h('li', {}, icon, h('span', { text }));
}

function swatch(id, series) {
  const svg = svgElement('svg', { width: 14, height: 14, viewBox: '0 0 14 14', 'aria-hidden': 'true', focusable: 'false' });
  if (series.pattern && series.pattern !== 'solid') svg.append(patternDefs(id));
  svg.append(svgElement('rect', {
    x: 1, y: 1, width: 12, height: 12, rx: 2, class: `chart-bar tone-${series.tone}`, fill: fillFor(series, id),
  }));
  return svg;
}

function markerSwatch(marker) {
  return svgElement('svg', { width: 14, height: 14, viewBox: '-7 -7 14 14', 'aria-hidden': 'true', focusable: 'false' },
    svgElement('path', { d: markerPath(marker.shape, 5), class: `chart-marker tone-${marker.tone}` }));
}

function lineSwatch() {
  return svgElement('svg', { width: 18, height: 14, viewBox: '0 0 18 14', 'aria-hidden': 'true', focusable: 'false' },
    svgElement('path', { d: 'M1,10 H7 V4 H17', class: 'chart-line' }));
}

/** Marker shapes centred on 0,0: ▲ up, ▼ down, ◆ diamond, ■ square. */
export function markerPath(shape, r) {
  switch (shape) {
    case 'up': return `M0,${-r}L${r},${r * 0.8}H${-r}Z`;
    case 'down': return `M0,${r}L${r},${-r * 0.8}H${-r}Z`;
    case 'diamond': return `M0,${-r}L${r},0L0,${r}L${-r},0Z`;
    default: return `M${-r * 0.8},${-r * 0.8}H${r * 0.8}V${r * 0.8}H${-r * 0.8}Z`;
  }
}

function numbersTable(spec) {
  const { caption, head, rows } = spec.kind === 'bars' ? barTable(spec) : spec.table;
  return h('details', { class: 'chart-table' },
    h('summary', { text: 'Show the numbers' }),
    h('div', { class: 'chart-table-scroll' },
      h('table', { class: 'numbers-table' },
        h('caption', { class: 'visually-hidden', text: caption }),
        h('thead', {}, h('tr', {}, head.map((text, index) => h('th', { scope: 'col', class: index ? 'num' : null, text })))),
        h('tbody', {}, rows.map((cells) => h('tr', {},
          h('th', { scope: 'row', text: cells[0] }),
          cells.slice(1).map((text) => h('td', { class: 'num', text }))))))));
}

function barTable(spec) {
  const shown = spec.series.filter((series) => !series.hideWhenZero || spec.buckets.some((b) => b.values[series.key]));
  const head = [spec.bucketHeading ?? 'Time (UTC)', ...shown.map((series) => series.label)];
  if (shown.length > 1) head.push('Total');
  const rows = spec.buckets.map((bucket) => {
    const values = shown.map((series) => bucket.values[series.key] ?? 0);
    const cells = [spec.bucketLabel(bucket), ...values.map((value) => spec.format(value))];
    if (shown.length > 1) cells.push(spec.format(values.reduce((a, b) => a + b, 0)));
    return cells;
  });
  return { caption: spec.tableCaption ?? spec.label, head, rows };
}

/** The plot's frame: the margins fit the widest y label; the height is fixed by the stylesheet's class. */
function frame(width, height, yLabels) {
  const widest = Math.max(...yLabels.map((label) => label.length));
  const left = Math.max(32, Math.round(widest * 7.2) + 14);
  // Above the plot: the unit on the first line, the guides' labels on the second.
  return { left, right: 12, top: 40, bottom: 26, width, height, plotWidth: Math.max(10, width - left - 12), plotHeight: height - 66 };
}

function axes(svg, box, { x, y, yTicks, tickFormat, unit, timeUnit, domain, guides = [] }) {
  const grid = svgElement('g', { class: 'chart-grid', 'aria-hidden': 'true' });
  for (const value of yTicks) {
    const at = round(y(value));
    grid.append(svgElement('line', { x1: box.left, x2: box.left + box.plotWidth, y1: at, y2: at, class: value === 0 ? 'chart-zero' : null }));
    grid.append(svgElement('text', { x: box.left - 8, y: at, class: 'chart-tick chart-tick-y', 'dominant-baseline': 'middle' }, text(tickFormat(value))));
  }
  grid.append(svgElement('text', { x: 0, y: 12, class: 'chart-unit' }, text(unit)));
  const maxTicks = Math.max(2, Math.floor(box.plotWidth / (timeUnit === 'hour' ? 52 : 58)));
  for (const t of timeTicks(domain[0], domain[1], maxTicks, timeUnit)) {
    const at = round(x(t));
    grid.append(svgElement('line', { x1: at, x2: at, y1: box.top + box.plotHeight, y2: box.top + box.plotHeight + 4, class: 'chart-tick-mark' }));
    // Labels at the edges are anchored inwards, so none is cut off.
    const anchor = at + 24 > box.width ? ' is-end' : at - 24 < 0 ? ' is-start' : '';
    grid.append(svgElement('text', { x: at, y: box.top + box.plotHeight + 17, class: `chart-tick chart-tick-x${anchor}` }, text(tickLabel(t, timeUnit))));
  }
  for (const guide of guides) {
    if (guide.t < domain[0] || guide.t > domain[1]) continue;
    const at = round(x(guide.t));
    grid.append(svgElement('line', { x1: at, x2: at, y1: box.top - 14, y2: box.top + box.plotHeight, class: 'chart-guide' }));
    const anchorEnd = at > box.left + box.plotWidth - 110;
    grid.append(svgElement('text', {
      x: anchorEnd ? at - 5 : at + 5, y: box.top - 4, class: `chart-guide-label${anchorEnd ? ' is-end' : ''}`,
    }, text(guide.label)));
  }
  svg.append(grid);
}

function text(content) {
  return document.createTextNode(content);
}

function chartSvg(box, summary) {
  return svgElement('svg', {
    class: 'chart-svg', width: box.width, height: box.height, viewBox: `0 0 ${box.width} ${box.height}`,
    role: 'img', 'aria-label': summary, tabindex: 0, focusable: 'true',
  });
}

function drawBars(spec, state) {
  const height = spec.height ?? 240;
  const totals = spec.buckets.map((bucket) => spec.series.reduce((sum, s) => sum + (bucket.values[s.key] ?? 0), 0));
  const ticks = valueTicks(0, Math.max(...totals), { integer: spec.integer });
  const tickFormat = (value) => value.toFixed(decimalsFor(ticks.step));
  const box = frame(state.width, height, ticks.ticks.map(tickFormat));
  const x = linearScale(spec.domain, [box.left, box.left + box.plotWidth]);
  const y = linearScale([ticks.min, ticks.max], [box.top + box.plotHeight, box.top]);
  const scale = box.plotHeight / (ticks.max - ticks.min);

  const svg = chartSvg(box, spec.summary);
  svg.dataset.scale = String(scale);
  svg.append(patternDefs(state.id));
  axes(svg, box, { x, y, yTicks: ticks.ticks, tickFormat, unit: spec.unit, timeUnit: spec.timeUnit, domain: spec.domain, guides: spec.guides });

  const keys = spec.series.map((series) => series.key);
  const bars = svgElement('g', { class: 'chart-bars' });
  const hits = svgElement('g', { class: 'chart-hits' });
  const stacks = stack(spec.buckets, keys);
  spec.buckets.forEach((bucket, index) => {
    const slot = barBox(x(bucket.start), x(bucket.end));
    const group = svgElement('g', { class: 'chart-bucket', 'data-start': new Date(bucket.start).toISOString() });
    const drawn = stacks[index].filter((segment) => segment.value);
    for (const segment of drawn) {
      const series = spec.series.find((s) => s.key === segment.key);
      const top = y(segment.to);
      group.append(svgElement('rect', {
        x: slot.x, width: slot.width, y: round(top), height: round(y(segment.from) - top),
        class: `chart-bar tone-${series.tone}`, fill: fillFor(series, state.id),
        'data-key': segment.key, 'data-value': segment.value,
      }));
    }
    // A white line between stacked segments keeps each one's edge visible (WCAG 1.4.11); drawn over them,
    // so every segment's height stays exactly its value.
    for (const segment of drawn.slice(1)) {
      const at = round(y(segment.from));
      group.append(svgElement('line', { x1: slot.x, x2: round(slot.x + slot.width), y1: at, y2: at, class: 'chart-gap' }));
    }
    bars.append(group);
    const hit = svgElement('rect', {
      x: round(x(bucket.start)), width: round(Math.max(1, x(bucket.end) - x(bucket.start))), y: box.top, height: box.plotHeight,
      class: 'chart-hit',
    });
    hit.addEventListener('pointerenter', () => show(index));
    hit.addEventListener('pointerdown', () => show(index));
    hits.append(hit);
  });
  svg.append(bars, hits);

  const tip = tooltipLayer(svg, box);
  let active = -1;
  function show(index) {
    active = index;
    for (const [i, hit] of [...hits.children].entries()) hit.classList.toggle('is-active', i === index);
    const bucket = spec.buckets[index];
    const shown = spec.series.filter((s) => !s.hideWhenZero || bucket.values[s.key] || spec.buckets.some((b) => b.values[s.key]));
    const lines = shown.length > 1
      ? [...shown.map((s) => `${s.label}: ${spec.format(bucket.values[s.key] ?? 0)}`), `Total: ${spec.format(totals[index])} ${spec.unit}`]
      : [`${spec.format(totals[index])} ${spec.unit}`];
    tip.show(spec.bucketLabel(bucket), lines, x((bucket.start + bucket.end) / 2), y(totals[index]));
  }
  function hide() {
    active = -1;
    for (const hit of hits.children) hit.classList.remove('is-active');
    tip.hide();
  }
  hideOnLeave(svg, hide);
  keyboard(svg, () => active, (index) => show(index), hide, spec.buckets.length,
    () => Math.max(0, totals.findLastIndex((total) => total > 0)));
  return svg;
}

function drawLine(spec, state) {
  const height = spec.height ?? 240;
  const values = [...spec.points.map((p) => p.value), ...spec.events.map((e) => e.value)];
  const ticks = valueTicks(Math.min(...values), Math.max(...values));
  const tickFormat = (value) => value.toFixed(decimalsFor(ticks.step));
  const box = frame(state.width, height, ticks.ticks.map(tickFormat));
  const x = linearScale(spec.domain, [box.left, box.left + box.plotWidth]);
  const y = linearScale([ticks.min, ticks.max], [box.top + box.plotHeight, box.top]);

  const svg = chartSvg(box, spec.summary);
  axes(svg, box, { x, y, yTicks: ticks.ticks, tickFormat, unit: spec.unit, timeUnit: spec.timeUnit, domain: spec.domain, guides: spec.guides });
  svg.append(
    svgElement('path', { d: stepArea(spec.points, x, y, Math.max(ticks.min, 0)), class: 'chart-area' }),
    svgElement('path', { d: stepPath(spec.points, x, y), class: 'chart-line', 'data-end': spec.points[spec.points.length - 1].value }));
  const markers = svgElement('g', { class: 'chart-markers' });
  for (const event of spec.events) {
    const marker = spec.markers[event.kind];
    markers.append(svgElement('path', {
      d: markerPath(marker.shape, 5.5), transform: `translate(${round(x(event.t))},${round(y(event.value))})`,
      class: `chart-marker tone-${marker.tone}`, 'data-kind': event.kind, 'data-value': event.value,
    }));
  }
  svg.append(markers);

  const focus = svgElement('circle', { r: 4.5, class: 'chart-focus', visibility: 'hidden' });
  const overlay = svgElement('rect', { x: box.left, y: box.top, width: box.plotWidth, height: box.plotHeight, class: 'chart-hit' });
  svg.append(focus, overlay);
  const tip = tooltipLayer(svg, box);
  const toTime = linearScale([box.left, box.left + box.plotWidth], spec.domain);
  let active = -1;
  function show(index) {
    active = index;
    const stop = spec.stops[index];
    focus.setAttribute('cx', round(x(stop.t)));
    focus.setAttribute('cy', round(y(stop.value)));
    focus.setAttribute('visibility', 'visible');
    tip.show(stop.title, stop.lines, x(stop.t), y(stop.value));
  }
  function hide() {
    active = -1;
    focus.setAttribute('visibility', 'hidden');
    tip.hide();
  }
  const nearest = (event) => {
    const rect = svg.getBoundingClientRect();
    const t = toTime(event.clientX - rect.left);
    const index = lastAtOrBefore(spec.stops, t);
    const next = index + 1 < spec.stops.length ? index + 1 : index;
    // The nearer of the two changes around the pointer (within a few pixels the later one wins).
    if (index < 0) return 0;
    return Math.abs(x(spec.stops[next].t) - x(t)) < Math.abs(x(spec.stops[index].t) - x(t)) ? next : index;
  };
  overlay.addEventListener('pointermove', (event) => show(nearest(event)));
  overlay.addEventListener('pointerdown', (event) => show(nearest(event)));
  hideOnLeave(svg, hide);
  keyboard(svg, () => active, show, hide, spec.stops.length, () => spec.stops.length - 1);
  return svg;
}

/** The pointer leaving hides the tooltip; a finger lifted does not (a tap shows it, a tap elsewhere blurs it). */
function hideOnLeave(svg, hide) {
  svg.addEventListener('pointerleave', (event) => {
    if (event.pointerType !== 'touch') hide();
  });
}

/** Arrow keys, Home and End move through the buckets or changes; Esc hides the tooltip. */
function keyboard(svg, current, show, hide, count, initial) {
  svg.addEventListener('focus', () => {
    if (count > 0) show(current() >= 0 ? current() : initial());
  });
  svg.addEventListener('blur', hide);
  svg.addEventListener('keydown', (event) => {
    const index = current();
    let next = null;
    if (index < 0 && ['ArrowRight', 'ArrowUp', 'ArrowLeft', 'ArrowDown'].includes(event.key)) next = initial();
    else if (event.key === 'ArrowRight' || event.key === 'ArrowUp') next = Math.min(count - 1, index + 1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowDown') next = Math.max(0, index - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = count - 1;
    else if (event.key === 'Escape' && index >= 0) {
      // The tooltip goes first; a second Esc reaches the page (the key view goes back to the list).
      event.stopPropagation();
      hide();
      return;
    }
    if (next === null) return;
    event.preventDefault();
    show(next);
  });
}

/** A tooltip drawn inside the SVG: a title line and value lines, kept inside the plot. */
function tooltipLayer(svg, box) {
  const layer = svgElement('g', { class: 'chart-tip', visibility: 'hidden', 'aria-hidden': 'true' });
  const background = svgElement('rect', { rx: 6, class: 'chart-tip-box' });
  const label = svgElement('text', { class: 'chart-tip-text' });
  layer.append(background, label);
  svg.append(layer);
  return {
    show(title, lines, anchorX, anchorY) {
      label.replaceChildren(...[title, ...lines].map((line, index) => svgElement('tspan', {
        x: 10, dy: index === 0 ? 0 : 17, class: index === 0 ? 'chart-tip-title' : null,
      }, text(line))));
      label.setAttribute('y', 18);
      layer.setAttribute('visibility', 'visible');
      const bounds = label.getBBox();
      const width = Math.ceil(bounds.width) + 20;
      const height = 17 * (lines.length + 1) + 8;
      background.setAttribute('width', width);
      background.setAttribute('height', height);
      let left = anchorX + 12;
      if (left + width > box.width - 2) left = anchorX - 12 - width;
      left = Math.max(2, left);
      const top = Math.min(Math.max(2, anchorY - height / 2), box.height - height - 2);
      layer.setAttribute('transform', `translate(${round(left)},${round(top)})`);
    },
    hide() {
      layer.setAttribute('visibility', 'hidden');
    },
  };
}

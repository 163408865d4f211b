import type { Prediction } from '@fmnist/core';
import { el } from './dom.ts';

/** The top classes as labelled bars; the percentage is text too, so screen readers and tests read the same numbers. */
export function renderBars(predictions: Prediction[]): HTMLOListElement {
  const list = el('ol', { className: 'bars' });
  for (const p of predictions) {
    const pct = `${(p.probability * 100).toFixed(1)}%`;
    const fill = el('span');
    fill.style.width = `${Math.max(0, Math.min(100, p.probability * 100))}%`;
    const bar = el('span', { className: 'bar' }, fill);
    bar.setAttribute('aria-hidden', 'true');
    const item = el('li', {}, el('span', { className: 'name' }, p.name), bar, el('span', { className: 'pct' }, pct));
    item.dataset.index = String(p.index);
    list.append(item);
  }
  return list;
}

import type { Sample } from '../api/server.ts';
import { dataUrlToBlob } from './data-url.ts';
import { el } from './dom.ts';

/** Test-set images as buttons; clicking one classifies it like a dropped file. */
export function renderGallery(container: HTMLElement, samples: Sample[], onPick: (blob: Blob, name: string) => void): void {
  container.replaceChildren(
    ...samples.map((s) => {
      const label = `Test image ${s.index} (${s.name})`;
      const button = el('button', { type: 'button', title: label }, el('img', { src: s.image, alt: label, width: 56, height: 56 }), el('span', {}, s.name));
      button.classList.add('pixelated');
      button.dataset.label = String(s.label);
      button.dataset.index = String(s.index);
      button.addEventListener('click', () => onPick(dataUrlToBlob(s.image), `test image ${s.index}`));
      return button;
    }),
  );
}

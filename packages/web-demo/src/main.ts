import './styles.css';
performance.mark('fmnist:page-script');
import { App } from './app.ts';
import { pageElements } from './ui/elements.ts';

/** The smallest valid module (magic + version): validate() is false where WebAssembly is absent or disabled. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function hasWebAssembly(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(EMPTY_MODULE);
  } catch {
    return false;
  }
}

const ui = pageElements();
if (!hasWebAssembly()) {
  // Without WebAssembly no onnxruntime-web backend can run; say so instead of failing on the first image.
  ui.app.dataset.state = 'error';
  ui.status.textContent = '';
  ui.loading.hidden = true;
  ui.error.hidden = false;
  ui.error.textContent =
    'This browser has no WebAssembly (or it is turned off), which the models need to run here. Use a current Chrome, Edge, Firefox or Safari, or enable WebAssembly.';
  ui.pick.disabled = true;
  for (const input of ui.controls.querySelectorAll('input')) input.disabled = true;
} else {
  void new App(ui).start();
}

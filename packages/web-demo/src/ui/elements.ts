import { byId } from './dom.ts';

/** Every element the page script touches, looked up once. */
export function pageElements() {
  return {
    app: byId('app', HTMLElement),
    pick: byId('pick', HTMLButtonElement),
    file: byId('file', HTMLInputElement),
    controls: byId('controls', HTMLFormElement),
    webgpuNote: byId('webgpu-note', HTMLElement),
    modelNote: byId('model-note', HTMLElement),
    explain: byId('explain', HTMLInputElement),
    explainClass: byId('explain-class', HTMLSelectElement),
    explainNote: byId('explain-note', HTMLElement),
    explanation: byId('explanation', HTMLDivElement),
    explainInput: byId('explain-input', HTMLCanvasElement),
    explainPhoto: byId('explain-photo', HTMLCanvasElement),
    explainText: byId('explain-text', HTMLParagraphElement),
    explainScale: byId('explain-scale', HTMLCanvasElement),
    status: byId('status', HTMLParagraphElement),
    loading: byId('loading', HTMLProgressElement),
    error: byId('error', HTMLParagraphElement),
    result: byId('result', HTMLElement),
    original: byId('original', HTMLImageElement),
    originalCaption: byId('original-caption', HTMLElement),
    working: byId('working', HTMLCanvasElement),
    workingCaption: byId('working-caption', HTMLElement),
    input28: byId('input28', HTMLCanvasElement),
    stepsText: byId('steps-text', HTMLParagraphElement),
    predictions: byId('predictions', HTMLDivElement),
    compare: byId('compare', HTMLButtonElement),
    serverResult: byId('server-result', HTMLDivElement),
    gallerySection: byId('gallery-section', HTMLElement),
    gallery: byId('gallery', HTMLDivElement),
    footer: byId('footer', HTMLElement),
  };
}

export type PageElements = ReturnType<typeof pageElements>;

/**
 * Resolves once the page has loaded and the main thread is idle: the models
 * load after the page is interactive, so their start-up never competes with
 * the first paint. (A file dropped earlier starts them at once.)
 */
export function afterPageLoad(): Promise<void> {
  return new Promise((resolve) => {
    const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => resolve(), { timeout: 1000 }) : setTimeout(resolve, 0));
    if (document.readyState === 'complete') idle();
    else addEventListener('load', idle, { once: true });
  });
}

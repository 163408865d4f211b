/**
 * The Content-Security-Policy the page is tested under: what the server's
 * security headers are to send (no inline script, no eval; workers from the
 * page's origin; wasm compiled from same-origin bytes). Listed in the README.
 */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

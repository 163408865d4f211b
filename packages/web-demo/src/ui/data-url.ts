/**
 * The bytes of a `data:` URL without fetch(): a Content-Security-Policy's
 * connect-src 'self' blocks fetching data: URLs, and the gallery and the
 * server's 28x28 inputs arrive as such URLs.
 */
export function dataUrlToBlob(url: string): Blob {
  const m = /^data:([^;,]*)((?:;[^;,]*)*?)(;base64)?,(.*)$/s.exec(url);
  if (!m) throw new TypeError('not a data: URL');
  const [, type = '', , base64, payload = ''] = m;
  const bytes = base64 ? Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)) : new TextEncoder().encode(decodeURIComponent(payload));
  return new Blob([bytes], { type: type || 'text/plain' });
}

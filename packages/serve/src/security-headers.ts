import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * Headers on every response, API and static files alike: no MIME sniffing,
 * and a Content-Security-Policy the web demo works under. onnxruntime-web
 * compiles its wasm at run time ('wasm-unsafe-eval'), may start its threads
 * as workers from blob: URLs, and fetches the runtime and models from this
 * origin and images from data: URLs; the docs page has an inline <style>. COOP/COEP/CORP stay with the
 * static route, which needs them for cross-origin isolation.
 */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  workerSrc: ["'self'", 'blob:'],
  // The demo reads the server's data: URLs (gallery, the 28x28 input) back with fetch.
  connectSrc: ["'self'", 'data:', 'blob:'],
  imgSrc: ["'self'", 'data:', 'blob:'],
  styleSrc: ["'self'", "'unsafe-inline'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The policy as its header value: directives in kebab case, separated by '; '. */
export const CONTENT_SECURITY_POLICY_VALUE = Object.entries(CONTENT_SECURITY_POLICY)
  .map(([directive, sources]) => `${directive.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${sources.join(' ')}`)
  .join('; ');

/** The two headers as Node writes them (answers given before the app use them too, shed-before-app.ts). */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY_VALUE,
} as const;

/**
 * Two headers only. frame-ancestors stands in for X-Frame-Options, and the
 * rest of secureHeaders' defaults do not apply to a JSON API (HSTS belongs
 * to the TLS terminator). Under Node they go on the outgoing message before
 * the handler runs, which Node merges into whatever response is written:
 * setting them on the finished Response, as hono's secureHeaders does,
 * turns @hono/node-server's plain-object response into a web Headers
 * object for every answer (seen in CPU profiles of the 28x28 path). Elsewhere (app.request in
 * tests, other runtimes) hono's middleware sets the same two.
 */
export function securityHeaders(): MiddlewareHandler {
  const portable = portableSecurityHeaders();
  const headers = Object.entries(SECURITY_HEADERS);
  return (c, next) => {
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (!outgoing) return portable(c, next);
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    return next();
  };
}

function portableSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    xContentTypeOptions: true,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    strictTransportSecurity: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
}

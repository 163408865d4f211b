import { Hono } from 'hono';
import { html } from 'hono/html';
import { openapi } from '../openapi.ts';

/** GET /openapi.json and a self-contained docs page (no CDN: the server may run offline). */
export function docsRoutes() {
  return new Hono()
    .get('/openapi.json', (c) => c.json(openapi))
    .get('/docs', (c) => {
      const rows = Object.entries(openapi.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(
          ([method, op]) =>
            html`<tr><td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td><td>${(op as { summary: string }).summary}</td></tr>`,
        ),
      );
      return c.html(html`<!doctype html><html><head><meta charset="utf-8"><title>${openapi.info.title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}td{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>${openapi.info.title}</h1><p>${openapi.info.description}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<table>${rows}</table>
<h2>Example</h2><pre>curl -F image=@shirt.jpg 'http://localhost:3000/classify?topk=3'</pre></body></html>`);
    });
}

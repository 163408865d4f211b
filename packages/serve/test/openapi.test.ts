/**
 * The server's own OpenAPI document, kept true by use: one real request per
 * documented (path, method, status), each answer validated against the
 * document (status, media type, body schema); a documented status no case
 * produces, a case whose answer the document lacks, or a route of the app
 * the document does not list fails the test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { DATASET_FILES, encodeIdx, IMAGE_PIXELS } from '@fmnist/core';
import { createApp } from '../src/app.ts';
import { openapi } from '../src/openapi.ts';
import type { RunningServer } from '../src/server.ts';
import { pngClaiming } from './attacks.ts';
import { fixtureModelsDir, form, pngOf, startTestServer } from './helpers.ts';
import { openRequest, readUntilClose } from './raw-http.ts';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>> };
const doc = openapi as unknown as Doc;

interface Answer {
  status: number;
  type: string;
  text: string;
}

let withData: RunningServer;
let noData: RunningServer;
let cleanup: (() => Promise<void>)[] = [];
const images = (n: number) =>
  encodeIdx(
    [n, 28, 28],
    new Uint8Array(n * IMAGE_PIXELS).map((_, i) => (i * 7) % 256),
  );
const labels = (n: number) =>
  encodeIdx(
    [n],
    Uint8Array.from({ length: n }, (_, i) => i % 10),
  );

beforeAll(async () => {
  const fx = await fixtureModelsDir();
  // A three-image test set (raw IDX under the official names; the loader takes gzip or raw).
  const data = await mkdtemp(join(tmpdir(), 'fmnist-openapi-'));
  await writeFile(join(data, DATASET_FILES.test.images.name), images(3));
  await writeFile(join(data, DATASET_FILES.test.labels.name), labels(3));
  const options = { modelsDir: fx.dir, limits: { maxBodyBytes: 256 * 1024, maxEvalImages: 4, maxBatchCost: 10_000 }, connections: { bodyIdleTimeoutMs: 300 } };
  withData = await startTestServer({ ...options, dataDir: data });
  noData = await startTestServer(options);
  cleanup = [fx.cleanup, () => rm(data, { recursive: true, force: true })];
}, 60_000);
afterAll(async () => {
  await withData?.close();
  await noData?.close();
  for (const c of cleanup) await c();
});

async function send(server: RunningServer, method: string, url: string, init: RequestInit = {}): Promise<Answer> {
  // Once more on a reset: fetch may reuse a keep-alive socket the server has just closed (a transport race, no answer was given).
  const res = await fetch(`${server.url}${url}`, { method, ...init }).catch((err: unknown) => {
    if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
    return fetch(`${server.url}${url}`, { method, ...init });
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** A request fetch cannot send: a head and part of a body, then silence (408) or a Content-Length over the limit (413). */
async function raw(server: RunningServer, method: string, url: string, type: string, length: number, sent: string): Promise<Answer> {
  const socket = await openRequest(server.url, `${method} ${url} HTTP/1.1\nHost: x\nContent-Type: ${type}\nContent-Length: ${length}`);
  socket.write(sent);
  const res = await readUntilClose(socket);
  const chunked = /transfer-encoding: chunked/i.test(res.head);
  return {
    status: res.status,
    type: /content-type: ([^\r\n]*)/i.exec(res.head)?.[1] ?? '',
    text: chunked ? res.body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '') : res.body,
  };
}

const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const tensor = (data: number[], n = 1) => json({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 1, 28, 28], data }] });

interface Case {
  path: string;
  method: string;
  status: number;
  send: () => Promise<Answer>;
}

async function cases(): Promise<Case[]> {
  const png = await pngOf(new Uint8Array(IMAGE_PIXELS).map((_, i) => (i % 28 > 8 && i % 28 < 20 ? 200 : 0)));
  const pngBody =
    (query = '') =>
    (s: RunningServer, path: string) =>
      send(s, 'POST', `${path}${query}`, { body: png, headers: { 'content-type': 'image/png' } });
  const version = withData.ctx.registry.get('cnn')!.version;
  const list: Case[] = [];
  const add = (path: string, method: string, status: number, run: () => Promise<Answer>) => list.push({ path, method, status, send: run });

  add('/', 'get', 200, () => send(withData, 'GET', '/'));
  add('/docs', 'get', 200, () => send(withData, 'GET', '/docs'));
  add('/openapi.json', 'get', 200, () => send(withData, 'GET', '/openapi.json'));
  add('/healthz', 'get', 200, () => send(withData, 'GET', '/healthz'));
  add('/readyz', 'get', 200, () => send(withData, 'GET', '/readyz'));
  add('/models', 'get', 200, () => send(withData, 'GET', '/models'));
  add('/models/{name}', 'get', 200, () => send(withData, 'GET', '/models/cnn'));
  add('/models/{name}', 'get', 404, () => send(withData, 'GET', '/models/resnet'));
  add('/metrics', 'get', 200, () => send(withData, 'GET', '/metrics'));
  add('/samples', 'get', 200, () => send(withData, 'GET', '/samples?n=2&seed=1'));
  add('/samples', 'get', 400, () => send(withData, 'GET', '/samples?n=0'));
  add('/samples', 'get', 409, () => send(noData, 'GET', '/samples'));

  for (const path of ['/classify', '/classify/batch']) {
    add(path, 'post', 200, () => pngBody()(withData, path));
    add(path, 'post', 400, () => pngBody('?topk=0')(withData, path));
    add(path, 'post', 404, () => pngBody('?model=resnet')(withData, path));
    add(path, 'post', 408, () => raw(withData, 'POST', path, 'image/png', 1000, 'x'.repeat(10)));
    add(path, 'post', 409, () => pngBody('?explain=1')(withData, path));
    add(path, 'post', 413, () => raw(withData, 'POST', path, 'image/png', 300 * 1024, ''));
    add(path, 'post', 415, () => send(withData, 'POST', path, { body: 'hello', headers: { 'content-type': 'text/plain' } }));
    // One image over the decode budget; for a batch, images whose summed cost is over its budget.
    add(path, 'post', 422, () =>
      path === '/classify'
        ? send(withData, 'POST', path, { body: pngClaiming(100_000, 100_000), headers: { 'content-type': 'image/png' } })
        : send(withData, 'POST', path, { body: form({ image: [pngClaiming(100, 100), pngClaiming(100, 100)] }) }),
    );
  }

  add('/evaluate', 'post', 200, () => send(withData, 'POST', '/evaluate'));
  add('/evaluate', 'post', 200, () =>
    send(withData, 'POST', '/evaluate?stream=1', { body: form({ images: images(2), labels: labels(2) }, {}, 'application/octet-stream') }),
  );
  add('/evaluate', 'post', 400, () => send(withData, 'POST', '/evaluate', { body: form({ images: images(2) }, {}, 'application/octet-stream') }));
  add('/evaluate', 'post', 404, () => send(withData, 'POST', '/evaluate?model=resnet'));
  add('/evaluate', 'post', 408, () => raw(withData, 'POST', '/evaluate', 'application/json', 1000, '{"model":'));
  add('/evaluate', 'post', 409, () => send(noData, 'POST', '/evaluate'));
  add('/evaluate', 'post', 413, () =>
    send(withData, 'POST', '/evaluate', { body: form({ images: images(5), labels: labels(5) }, {}, 'application/octet-stream') }),
  );

  add('/v2', 'get', 200, () => send(withData, 'GET', '/v2'));
  add('/v2/', 'get', 200, () => send(withData, 'GET', '/v2/'));
  add('/v2/health/live', 'get', 200, () => send(withData, 'GET', '/v2/health/live'));
  add('/v2/health/ready', 'get', 200, () => send(withData, 'GET', '/v2/health/ready'));
  for (const [prefix, base] of [
    ['/v2/models/{name}', '/v2/models/cnn'],
    ['/v2/models/{name}/versions/{version}', `/v2/models/cnn/versions/${version}`],
  ] as const) {
    const missing = prefix.includes('version}') ? '/v2/models/cnn/versions/nope' : '/v2/models/resnet';
    add(prefix, 'get', 200, () => send(withData, 'GET', base));
    add(prefix, 'get', 404, () => send(withData, 'GET', missing));
    add(`${prefix}/ready`, 'get', 200, () => send(withData, 'GET', `${base}/ready`));
    add(`${prefix}/ready`, 'get', 404, () => send(withData, 'GET', `${missing}/ready`));
    const infer = `${prefix}/infer`;
    add(infer, 'post', 200, () => send(withData, 'POST', `${base}/infer`, tensor(new Array(IMAGE_PIXELS).fill(0.5))));
    add(infer, 'post', 400, () => send(withData, 'POST', `${base}/infer`, tensor([0.5])));
    add(infer, 'post', 404, () => send(withData, 'POST', `${missing}/infer`, tensor(new Array(IMAGE_PIXELS).fill(0.5))));
    add(infer, 'post', 408, () => raw(withData, 'POST', `${base}/infer`, 'application/json', 1000, '{"inputs":'));
    add(infer, 'post', 413, () => raw(withData, 'POST', `${base}/infer`, 'application/json', 300 * 1024, ''));
    add(infer, 'post', 422, () => send(withData, 'POST', `${base}/infer`, tensor(new Array(IMAGE_PIXELS).fill(3e38))));
  }

  // 503: not ready, and a full queue, have their own cases; every route also answers 503 while shutting down.
  add('/v2/health/ready', 'get', 503, async () => {
    withData.ctx.state.ready = false;
    return send(withData, 'GET', '/v2/health/ready').finally(() => (withData.ctx.state.ready = true));
  });
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      if (list.some((c) => c.path === path && c.method === method && c.status === 503)) continue;
      const url = path.replace('{name}', 'cnn').replace('{version}', version);
      add(path, method, 503, async () => {
        noData.ctx.state.shuttingDown = true;
        return send(noData, method.toUpperCase(), url).finally(() => (noData.ctx.state.shuttingDown = false));
      });
    }
  }
  return list;
}

const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
ajv.addSchema({
  $id: 'doc',
  $defs: JSON.parse(
    JSON.stringify((openapi as unknown as { components: { schemas: object } }).components.schemas).replaceAll('#/components/schemas/', 'doc#/$defs/'),
  ) as object,
});
const validators = new Map<string, ValidateFunction>();
const validator = (key: string, schema: object) =>
  validators.get(key) ??
  validators.set(key, ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', 'doc#/$defs/')) as object)).get(key)!;

/** What is wrong with an answer by the document (empty: nothing). */
function check(c: Case, a: Answer): string[] {
  const where = `${c.method.toUpperCase()} ${c.path} -> ${a.status}`;
  const response = doc.paths[c.path]?.[c.method]?.responses[String(a.status)];
  if (!response) return [`${where}: status not in the document (${a.text.slice(0, 120)})`];
  const media = a.type.split(';')[0]!.trim();
  const content = response.content?.[media];
  if (!content) return [`${where}: media type '${media}' not in the document`];
  if (media === 'text/event-stream') return /^event: result$/m.test(a.text) ? [] : [`${where}: no result event in ${a.text.slice(0, 120)}`];
  if (media !== 'application/json') return a.text.length > 0 ? [] : [`${where}: empty body`];
  const validate = validator(`${c.path} ${c.method} ${a.status} ${media}`, content.schema);
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return [`${where}: not JSON: ${a.text.slice(0, 120)}`];
  }
  return validate(body) ? [] : [`${where}: ${ajv.errorsText(validate.errors)} in ${a.text.slice(0, 160)}`];
}

describe('the OpenAPI document', () => {
  it('every documented (path, method, status) is answered by a real request, as the document says', async () => {
    const all = await cases();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => Object.keys(op.responses).map((s) => `${method} ${path} ${s}`)),
    );
    expect([...new Set(all.map((c) => `${c.method} ${c.path} ${c.status}`))].sort()).toEqual(documented.sort());
    const problems: string[] = [];
    for (const c of all) {
      const answer = await c.send().catch((err: unknown) => {
        throw new Error(`${c.method.toUpperCase()} ${c.path} (${c.status}): ${String((err as Error).cause ?? err)}`);
      });
      if (answer.status !== c.status)
        problems.push(`${c.method.toUpperCase()} ${c.path}: expected ${c.status}, got ${answer.status} (${answer.text.slice(0, 120)})`);
      problems.push(...check(c, answer));
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('lists every route of the app', () => {
    const routes = createApp(withData.ctx).routes.filter((r) => r.method !== 'ALL' && !r.path.includes('*'));
    const missing = routes
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
      .filter((key) => {
        const [method, path] = key.split(' ') as [string, string];
        return !doc.paths[path]?.[method];
      });
    expect(missing).toEqual([]);
  });
});

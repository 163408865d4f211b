/**
 * Issue 12's cases 2 (evaluation queue and cancellation), 4 (photo floods
 * are shed with 503 where the decoding is), 6 (stalled uploads: 408, and a
 * bound on the bytes being received) and 8 (an aborted upload is not a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { ortSessionFactory } from '../src/ort-session.ts';
import type { SessionFactory } from '../src/session-types.ts';
import type { RunningServer } from '../src/server.ts';
import { idxPair, photoJpeg } from './attacks.ts';
import { fixtureModelsDir, form, pngOf, type Json } from './helpers.ts';
import { startTestServer } from './helpers.ts';
import { metric, openRequest, readUntilClose } from './raw-http.ts';

/** Waits on the server's own state, not on a clock, so that a loaded machine cannot reorder what a test sets up. */
async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ok())) await new Promise((r) => setTimeout(r, 20));
}

let modelsDir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const fx = await fixtureModelsDir();
  modelsDir = fx.dir;
  cleanup = fx.cleanup;
});
afterAll(async () => cleanup?.());

/** Real sessions whose all-core (evaluation) runs take at least `ms` each: makes an evaluation long enough to watch. */
function slowBulk(ms: number, runs: { count: number }): SessionFactory {
  return async (bytes, provider, threads) => {
    const s = await ortSessionFactory(bytes, provider, threads);
    if ((threads ?? 1) <= 1) return s;
    return {
      inputNames: s.inputNames,
      outputNames: s.outputNames,
      release: () => s.release(),
      run: async (feeds) => {
        runs.count++;
        await new Promise((r) => setTimeout(r, ms));
        return s.run(feeds);
      },
    };
  };
}

/** Holds every decoding slot of a server whose decode queue has no waiting places, so that it is full; the returned function frees them. */
function holdDecodeQueue(server: RunningServer): () => Promise<void> {
  const queue = server.ctx.decodeQueue;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const holders = Array.from({ length: queue.options.concurrency }, () => queue.run(0, undefined, () => held));
  return async () => {
    release();
    await Promise.all(holders);
  };
}

async function withServer(options: Parameters<typeof startTestServer>[0], body: (s: RunningServer) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

describe('issue 12: load shedding, cancellation and connection hygiene', () => {
  it('case 2: evaluations run one at a time behind a bounded queue (503 beyond), and stop when their client goes', async () => {
    const runs = { count: 0 };
    await withServer({ modelsDir, sessionFactory: slowBulk(300, runs), limits: { evalQueue: 1 } }, async (server) => {
      const data = await idxPair(5000); // 5 batches of 1000: at least 1.5 s each
      const long = await idxPair(10_000); // 10 batches: at least 3 s
      const evaluate = (signal?: AbortSignal, stream = false, pair = data) =>
        fetch(`${server.url}/evaluate${stream ? '?stream=1' : ''}`, {
          method: 'POST',
          body: form(pair, {}, 'application/octet-stream'),
          ...(signal ? { signal } : {}),
        });
      // Streamed: read the first progress event, then go away.
      const gone = new AbortController();
      const streamed = await evaluate(gone.signal, true, long);
      const reader = streamed.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/event: progress/);
      gone.abort();
      // It stops at its next batch, well before its 10th.
      while ((await metric(server.url, 'fmnist_cancelled_total', { stage: 'evaluate' })) === 0) await new Promise((r) => setTimeout(r, 50));
      const abandonedRuns = runs.count;
      expect(abandonedRuns).toBeLessThan(10);
      // Running + one waiting: the third is shed.
      // Waits on the queue's own state, not on a clock, so that a loaded machine cannot reorder the three.
      const queue = server.ctx.evalQueue;
      const first = evaluate();
      await until(() => queue.active === 1);
      const second = evaluate();
      await until(() => queue.depth === 1);
      const third = await evaluate();
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBeTruthy();
      expect(((await third.json()) as Json).error.code).toBe('queue_full');
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(runs.count).toBe(abandonedRuns + 10); // two full evaluations of 5 batches, and nothing more of the abandoned one
      expect(await metric(server.url, 'fmnist_cancelled_total', { stage: 'evaluate' })).toBe(1);
      expect(await metric(server.url, 'fmnist_shed_total', { queue: 'evaluate' })).toBe(1);
    });
  });

  it('case 4: a flood of photos is shed with 503 + Retry-After at the decode queue; abandoned photos are not decoded', async () => {
    await withServer({ modelsDir, limits: { decodeQueue: 4 } }, async (server) => {
      const photo = await photoJpeg(1000);
      const send = (signal?: AbortSignal) =>
        fetch(`${server.url}/classify`, { method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' }, ...(signal ? { signal } : {}) });
      const answers = await Promise.all(Array.from({ length: 30 }, () => send()));
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(6); // 2 threads + 4 waiting
      const shed = answers.filter((r) => r.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      for (const r of shed) expect(r.headers.get('retry-after')).toBe('1');
      expect(((await shed[0]!.json()) as Json).error.code).toBe('queue_full');
      expect(await metric(server.url, 'fmnist_shed_total', { queue: 'decode' })).toBe(shed.length);
      // Six clients go away while their photos wait: the waiting ones leave the queue undecoded.
      const before = await metric(server.url, 'fmnist_images_classified_total');
      const gone = new AbortController();
      const abandoned = Array.from({ length: 6 }, () => send(gone.signal).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 30));
      gone.abort();
      await Promise.all(abandoned);
      await new Promise((r) => setTimeout(r, 1500));
      // A loaded machine may notice the aborts later.
      await until(async () => (await metric(server.url, 'fmnist_cancelled_total')) > 0);
      expect(await metric(server.url, 'fmnist_cancelled_total')).toBeGreaterThan(0);
      expect((await metric(server.url, 'fmnist_images_classified_total')) - before).toBeLessThan(6);
    });
  });

  it('case 4: a photo shed on its headers gets its 503 after --shed-delay-ms, and its body is not read meanwhile', async () => {
    await withServer({ modelsDir, limits: { decodeQueue: 0, shedDelayMs: 800 } }, async (server) => {
      const release = holdDecodeQueue(server);
      const MB = 1024 * 1024;
      const head = (length: number) => `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${length}`;
      const shed = () => metric(server.url, 'fmnist_shed_total', { queue: 'decode' });
      // 9 MB: under the body limit (a larger one is refused 413 by the app, which drains it).
      const socket = await openRequest(server.url, head(9 * MB));
      const sent = performance.now();
      const refused = readUntilClose(socket, 5000);
      socket.write(Buffer.alloc(9 * MB, 0x41), () => {});
      await new Promise((r) => setTimeout(r, 400));
      // Read by the server, the 9 MB write would have completed in well under 400 ms on loopback; unread, it
      // cannot (the kernel's buffers take a few MB), and the stream still counts all of it as pending.
      expect(socket.writableLength).toBe(9 * MB);
      const answer = await refused;
      expect(performance.now() - sent).toBeGreaterThanOrEqual(800 - 5);
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body).error.code).toBe('queue_full');
      expect(await shed()).toBe(1);
      // A client that leaves while held is not answered, and nothing breaks.
      const gone = await openRequest(server.url, head(MB));
      await until(async () => (await shed()) >= 2);
      gone.destroy();
      await new Promise((r) => setTimeout(r, 1000));
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await release();
    });
  });

  it('case 4: while the decode queue is full, a photo is refused before its body is read; a small PNG still gets through', async () => {
    await withServer({ modelsDir, limits: { decodeQueue: 0 } }, async (server) => {
      const queue = server.ctx.decodeQueue;
      const release = holdDecodeQueue(server);
      expect(queue.full).toBe(true);
      // The head announces a 1 MB photo and no byte of it is ever sent: only a refusal that does not read it can answer.
      const socket = await openRequest(server.url, 'POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: 1000000');
      const refused = await readUntilClose(socket, 5000);
      expect(refused.status).toBe(503);
      expect(refused.closed).toBe(true);
      expect(refused.head).toMatch(/retry-after: 1/i);
      expect(JSON.parse(refused.body).error.code).toBe('queue_full');
      expect(await metric(server.url, 'fmnist_shed_total', { queue: 'decode' })).toBe(1);
      const png = await pngOf(new Uint8Array(28 * 28).fill(200));
      const small = await fetch(`${server.url}/classify`, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
      expect(small.status).toBe(200);
      await release();
      const photo = await fetch(`${server.url}/classify`, { method: 'POST', body: await photoJpeg(400), headers: { 'content-type': 'image/jpeg' } });
      expect(photo.status).toBe(200);
    });
  });

  it('case 4: a photo shed on its headers is answered before the app as the app answers it: status, body, headers, metrics', async () => {
    await withServer({ modelsDir, limits: { decodeQueue: 0 } }, async (server) => {
      const release = holdDecodeQueue(server);
      for (const path of ['/classify?model=mlp', '/classify/batch']) {
        const socket = await openRequest(server.url, `POST ${path} HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: 1000000`);
        const fast = await readUntilClose(socket, 5000);
        // The same request through the app itself (hono's app.request: no socket, so no shortcut).
        const app = createApp(server.ctx);
        const viaApp = await app.request(path, { method: 'POST', headers: { 'content-type': 'image/jpeg', 'content-length': '1000000' }, body: 'x' });
        expect(fast.status).toBe(viaApp.status);
        expect(JSON.parse(fast.body)).toEqual(await viaApp.json());
        const head = new Headers(
          fast.head
            .split('\r\n')
            .slice(1)
            .filter(Boolean)
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]),
        );
        for (const name of ['content-type', 'retry-after', 'connection', 'x-content-type-options', 'content-security-policy']) {
          expect(head.get(name), name).toBe(viaApp.headers.get(name));
        }
      }
      // Counted as the app counts its answers: per route, and as shed.
      expect(await metric(server.url, 'fmnist_http_requests_total', { route: '/classify', method: 'POST', status: '503' })).toBe(2);
      expect(await metric(server.url, 'fmnist_http_requests_total', { route: '/classify/batch', method: 'POST', status: '503' })).toBe(2);
      expect(await metric(server.url, 'fmnist_shed_total', { queue: 'decode' })).toBe(4);
      await release();
    });
  });

  it('case 4: while as many photos as the decode queue can take are still arriving, the next is refused before its body is read', async () => {
    await withServer({ modelsDir, limits: { decodeQueue: 1 } }, async (server) => {
      const admission = server.ctx.photoAdmission;
      expect(admission.capacity).toBe(server.ctx.decodeQueue.options.concurrency + 1);
      // Uploads whose bodies are still arriving: a real JPEG's first bytes of an announced 1 MB.
      const start = await photoJpeg(300);
      const arriving = await Promise.all(
        Array.from({ length: admission.capacity }, async () => {
          const socket = await openRequest(server.url, 'POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: 1000000');
          socket.write(start.subarray(0, 1000));
          return socket;
        }),
      );
      await until(() => admission.full);
      // The decode queue itself is empty: nothing has been read whole yet.
      expect(server.ctx.decodeQueue.full).toBe(false);
      const socket = await openRequest(server.url, 'POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: 1000000');
      const refused = await readUntilClose(socket, 5000);
      expect(refused.status).toBe(503);
      expect(refused.closed).toBe(true);
      expect(JSON.parse(refused.body).error.code).toBe('queue_full');
      // A small PNG never waits for a place.
      const small = await fetch(`${server.url}/classify`, {
        method: 'POST',
        body: await pngOf(new Uint8Array(28 * 28).fill(200)),
        headers: { 'content-type': 'image/png' },
      });
      expect(small.status).toBe(200);
      // Their clients gone, their places are free again.
      for (const s of arriving) s.destroy();
      await until(() => admission.admitted === 0);
      const photo = await fetch(`${server.url}/classify`, { method: 'POST', body: await photoJpeg(400), headers: { 'content-type': 'image/jpeg' } });
      expect(photo.status).toBe(200);
    });
  });

  it('case 6: an upload that stalls is cut off with 408; the bytes being received are bounded (503 beyond)', async () => {
    await withServer({ modelsDir, connections: { bodyIdleTimeoutMs: 1000 }, limits: { maxInflightBodyBytes: 3 * 1024 * 1024 } }, async (server) => {
      const head = (length: number) => `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${length}`;
      const stalled = await openRequest(server.url, head(2 * 1024 * 1024));
      // A real JPEG's start, so that the body passes the check of its first bytes and is read until it stalls.
      const start = await photoJpeg(300);
      stalled.write(Buffer.concat([start, Buffer.alloc(2 * 1024 * 1024 - 100 - start.length)]));
      const response = readUntilClose(stalled);
      await until(() => server.ctx.state.inflightBodyBytes > 0);
      // A second 2 MB upload would take the bytes being received over 3 MB.
      const second = await openRequest(server.url, head(2 * 1024 * 1024));
      const refused = await readUntilClose(second);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body).error.code).toBe('queue_full');
      const cut = await response;
      expect(cut.status).toBe(408);
      expect(cut.closed).toBe(true);
      expect(JSON.parse(cut.body).error.code).toBe('request_timeout');
      expect(cut.head).toMatch(/x-content-type-options: nosniff/i);
      expect(await metric(server.url, 'fmnist_timeouts_total', { kind: 'body_idle' })).toBe(1);
      expect(await metric(server.url, 'fmnist_shed_total', { queue: 'bodies' })).toBe(1);
      expect(await metric(server.url, 'fmnist_inflight_body_bytes')).toBe(0);
    });
  });

  it('connection hygiene: an upload that keeps sending, however slowly, is not cut off (a photo trickled over twice the body idle timeout gets 200)', async () => {
    // A 10 MB photo over a 2 Mbit/s uplink takes about 42 s: the idle timeout must measure silence, not the body's whole time.
    await withServer({ modelsDir, connections: { bodyIdleTimeoutMs: 1000 } }, async (server) => {
      const photo = await photoJpeg(300);
      const socket = await openRequest(
        server.url,
        `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nConnection: close\nContent-Length: ${photo.length}`,
      );
      const answer = readUntilClose(socket);
      const pieces = 10; // 250 ms apart: 2.25 s in all, no silence longer than a quarter of the timeout
      const size = Math.ceil(photo.length / pieces);
      const started = performance.now();
      for (let i = 0; i < pieces; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 250));
        socket.write(photo.subarray(i * size, (i + 1) * size));
      }
      expect(performance.now() - started).toBeGreaterThan(2000);
      const res = await answer;
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as Json).predictions).toHaveLength(3);
      expect(await metric(server.url, 'fmnist_timeouts_total', { kind: 'body_idle' })).toBe(0);
    });
  });

  it('case 6: a refused upload ends its connection without the rest of its body being read', async () => {
    await withServer({ modelsDir, limits: { maxInflightBodyBytes: 3 * 1024 * 1024 } }, async (server) => {
      const head = (length: number) => `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${length}`;
      const holder = await openRequest(server.url, head(2 * 1024 * 1024));
      holder.write(Buffer.alloc(1024));
      await until(() => server.ctx.state.inflightBodyBytes > 0);
      // Refused at once (the bytes being received would pass 3 MB); the client keeps sending, never idle.
      const total = 8 * 1024 * 1024;
      const refused = await openRequest(server.url, head(total));
      let sent = 0;
      const pump = setInterval(() => {
        if (sent >= total || refused.destroyed) return;
        refused.write(Buffer.alloc(64 * 1024), () => {});
        sent += 64 * 1024;
      }, 20);
      const answer = await readUntilClose(refused, 20_000);
      clearInterval(pump);
      expect(answer.status).toBe(503);
      expect(answer.closed).toBe(true);
      // The answer says Connection: close, and Node ends the connection after it instead of draining all 8 MB for keep-alive.
      expect(sent).toBeLessThan(total);
      holder.destroy();
    });
  });

  it('case 8: an upload the client aborts is neither a 500 nor logged as an internal error', async () => {
    const logs: string[] = [];
    await withServer({ modelsDir, log: (m) => logs.push(m) }, async (server) => {
      for (const path of ['/classify', '/classify/batch', '/evaluate', '/v2/models/cnn/infer']) {
        const chunked = await openRequest(server.url, `POST ${path} HTTP/1.1\nHost: x\nContent-Type: image/png\nTransfer-Encoding: chunked`);
        chunked.write(`10000\r\n${'x'.repeat(0x10000)}\r\n`);
        await new Promise((r) => setTimeout(r, 100));
        chunked.destroy();
        const sized = await openRequest(server.url, `POST ${path} HTTP/1.1\nHost: x\nContent-Type: multipart/form-data; boundary=zz\nContent-Length: 500000`);
        sized.write(`--zz\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\n${'x'.repeat(100_000)}`);
        await new Promise((r) => setTimeout(r, 100));
        sized.destroy();
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(logs.filter((l) => /internal error/.test(l))).toEqual([]);
      expect(await metric(server.url, 'fmnist_http_requests_total', { status: '500' })).toBe(0);
      expect(await metric(server.url, 'fmnist_cancelled_total', { stage: 'upload' })).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  });
});

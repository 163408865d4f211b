/**
 * Issue 12's cases 1, 2, 3, 5 and 7: uploads that are cheap to send and
 * costly to process are refused from their headers (or while inflating),
 * before the work starts, with a 4xx JSON error.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DEFAULT_DECODE, planDecode } from '../src/decode-budget.ts';
import { isSmallPng } from '../src/decode.ts';
import { avifClaiming, encodeForm, idxBomb, idxPair, jpegClaiming, pngClaiming, pngWithEmptyChunks } from './attacks.ts';
import { form, pngOf, useFixtureServer, type Json } from './helpers.ts';
import { openRequest, readUntilClose } from './raw-http.ts';

const current = useFixtureServer();

const post = (path: string, body: RequestInit['body'], type?: string) =>
  fetch(`${current().url}${path}`, { method: 'POST', body, ...(type ? { headers: { 'content-type': type } } : {}) });

async function expectRefused(res: Response, status: number, code: string): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as Json;
  expect(body.error.code).toBe(code);
  return body;
}

describe('issue 12: costly uploads are refused before the work starts', () => {
  it('case 1: a gzipped IDX that inflates to 1 GiB is refused while inflating (413), and the server goes on', async () => {
    const images = await idxBomb(2 ** 30);
    expect(images.length).toBeLessThan(2 * 1024 * 1024);
    const labels = (await idxPair(10)).labels;
    const rssBefore = process.memoryUsage().rss;
    const body = await expectRefused(await post('/evaluate', form({ images, labels }, {}, 'application/octet-stream')), 413, 'dataset_too_large');
    expect(body.error.message).toMatch(/at most 10000 images/);
    // Inflation stopped at the cap (about 8 MB), not at 1 GiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    expect((await fetch(`${current().url}/healthz`)).status).toBe(200);
  });

  it('case 2: a valid IDX pair of 1,000,000 images (under 1 MB gzipped) is refused, not evaluated', async () => {
    const { images, labels } = await idxPair(1_000_000);
    expect(images.length + labels.length).toBeLessThan(2 * 1024 * 1024);
    await expectRefused(await post('/evaluate', form({ images, labels }, {}, 'application/octet-stream')), 413, 'dataset_too_large');
    // The bulk session never ran: no evaluation was counted.
    const ok = await idxPair(100);
    const res = await post('/evaluate', form(ok, {}, 'application/octet-stream'));
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).count).toBe(100);
  });

  it('cases 1-2: a dataset whose header states too many images is refused from its first bytes; the rest is never read', async () => {
    for (const images of [(await idxPair(1_000_000)).images, await idxBomb(2 ** 30)]) {
      const { body, type } = await encodeForm(form({ images, labels: (await idxPair(10)).labels }, {}, 'application/octet-stream'));
      expect(body.length).toBeGreaterThan(500_000);
      // Only the first 20 kB are ever sent: an answer can only come from a refusal that does not wait for the rest.
      const socket = await openRequest(current().url, `POST /evaluate HTTP/1.1\nHost: x\nContent-Type: ${type}\nContent-Length: ${body.length}`);
      socket.write(body.subarray(0, 20_000));
      const answer = await readUntilClose(socket, 10_000);
      expect(answer.status).toBe(413);
      expect(answer.closed).toBe(true);
      expect(answer.head).toMatch(/connection: close/i);
      expect(JSON.parse(answer.body).error.code).toBe('dataset_too_large');
    }
  });

  it('case 3: a 7000x7000 AVIF and a 10x4,900,000 PNG are refused from their headers (422)', async () => {
    const avif = await avifClaiming(7000, 7000);
    expect(avif.length).toBeLessThan(2000);
    const avifBody = await expectRefused(await post('/classify', avif, 'image/avif'), 422, 'image_too_large');
    expect(avifBody.error.message).toMatch(/AVIF\/HEIF images up to 12 MP/);
    await expectRefused(await post('/classify', pngClaiming(10, 4_900_000), 'image/png'), 422, 'image_too_large');
    // Elongated under the side cap: the lower cap for extreme aspect ratios applies.
    const strip = await expectRefused(await post('/classify', pngClaiming(500, 15_000), 'image/png'), 422, 'image_too_large');
    expect(strip.error.message).toMatch(/more elongated than 8:1/);
    // The largest phone photos are within budget: a 50 MP JPEG, and a 12 MP AVIF.
    expect(planDecode(await jpegClaiming(8160, 6120), DEFAULT_DECODE).cost).toBe(8160 * 6120);
    expect(planDecode(await avifClaiming(4000, 3000), DEFAULT_DECODE).cost).toBeCloseTo(50e6);
  });

  it('case 3: /classify/batch of 8 such AVIFs answers each in place; a batch over the summed budget is refused whole', async () => {
    const avif = await avifClaiming(7000, 7000);
    const res = await post('/classify/batch', form({ image: Array(8).fill(avif) }, {}, 'image/avif'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.results.map((r: Json) => r.error?.code)).toEqual(Array(8).fill('image_too_large'));
    // Three 40 MP JPEGs: each within the per-image cap, 120 MP together over the 100 MP batch budget.
    const big = await jpegClaiming(8000, 5000);
    const costly = await expectRefused(await post('/classify/batch', form({ image: [big, big, big] }, {}, 'image/jpeg')), 422, 'over_budget');
    expect(costly.error.message).toMatch(/120 megapixels/);
  });

  it('case 5: a 28x28 PNG with 700,000 empty IDAT chunks is kept off the event loop and refused (422)', async () => {
    const chunky = pngWithEmptyChunks(700_000);
    expect(chunky.length).toBeGreaterThan(8_000_000);
    expect(isSmallPng(chunky)).toBe(false);
    const body = await expectRefused(await post('/classify', chunky, 'image/png'), 422, 'image_too_large');
    expect(body.error.message).toMatch(/more than 10000 chunks/);
    // A few empty chunks are legal: decoded off the fast path, still classified.
    const few = pngWithEmptyChunks(40);
    expect(isSmallPng(few)).toBe(false);
    expect((await post('/classify', few, 'image/png')).status).toBe(200);
    expect(isSmallPng(await pngOf(new Uint8Array(784)))).toBe(true);
  });

  it('case 5: the chunk bomb and an oversized image are refused from their first bytes; the rest of the body is never read', async () => {
    const chunky = pngWithEmptyChunks(700_000);
    const oversized = Buffer.concat([pngClaiming(10, 4_900_000), Buffer.alloc(2_000_000)]);
    for (const [bytes, message] of [
      [chunky, /more than 10000 chunks/],
      [oversized, /10x4900000/],
    ] as const) {
      // Only the first 300 kB are ever sent: an answer can only come from a refusal that does not wait for the rest.
      const socket = await openRequest(current().url, `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/png\nContent-Length: ${bytes.length}`);
      socket.write(bytes.subarray(0, 300_000));
      const answer = await readUntilClose(socket, 10_000);
      expect(answer.status).toBe(422);
      expect(answer.closed).toBe(true);
      expect(answer.head).toMatch(/connection: close/i);
      expect(JSON.parse(answer.body).error.message).toMatch(message);
    }
    // A photo whose header is fine is read to its end and classified, in one piece or in many.
    const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .jpeg()
      .toBuffer();
    expect(photo.length).toBeGreaterThan(300_000);
    expect((await post('/classify', photo, 'image/jpeg')).status).toBe(200);
    const slow = await openRequest(
      current().url,
      `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/jpeg\nContent-Length: ${photo.length}\nConnection: close`,
    );
    for (let at = 0; at < photo.length; at += 100_000) {
      slow.write(photo.subarray(at, at + 100_000));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await readUntilClose(slow, 20_000)).status).toBe(200);
  });

  it('case 5: a client still sending when it is refused reads the refusal (a staged close, RFC 9112 section 9.6), not a reset', async () => {
    const chunky = pngWithEmptyChunks(700_000);
    const socket = await openRequest(current().url, `POST /classify HTTP/1.1\nHost: x\nContent-Type: image/png\nContent-Length: ${chunky.length}`);
    // A slow client: it reads nothing while the server refuses and closes, then goes on sending. An immediate close
    // would answer those bytes with a reset, and a reset throws away the refusal still unread in the client's buffer.
    socket.pause();
    socket.write(chunky.subarray(0, 300_000));
    await new Promise((r) => setTimeout(r, 500));
    socket.write(chunky.subarray(300_000, 2_000_000));
    await new Promise((r) => setTimeout(r, 500));
    let reset = false;
    socket.on('error', () => (reset = true));
    socket.resume();
    const answer = await readUntilClose(socket, 10_000);
    expect(reset).toBe(false);
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body).error.message).toMatch(/more than 10000 chunks/);
  });

  it('case 7: a 691-byte JPEG claiming 65500x700 is refused (422), and so is a truncated JPEG within budget', async () => {
    const claim = await jpegClaiming(65500, 700, 691);
    expect(claim.length).toBe(691);
    await expectRefused(await post('/classify', claim, 'image/jpeg'), 422, 'image_too_large');
    // failOn 'truncated': libjpeg only warns about a premature end, and used to return grey pixels with 200.
    const full = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .jpeg()
      .toBuffer();
    await expectRefused(await post('/classify', full.subarray(0, 691), 'image/jpeg'), 422, 'corrupt_image');
    await expectRefused(await post('/classify', full.subarray(0, Math.floor(full.length * 0.6)), 'image/jpeg'), 422, 'corrupt_image');
    expect((await post('/classify', full, 'image/jpeg')).status).toBe(200);
  });
});

/**
 * What parsing a multipart upload costs: the Fetch API's formData() (what
 * readForm used before) against parseMultipart (busboy) on the same 1 MB and
 * 10 MB bodies, fed as 64 kB chunks as a socket delivers them; median of 5
 * alternating runs each. Usage: node --import tsx packages/serve/scripts/multipart-cost.ts
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseMultipart } from '../src/multipart.ts';
for (const mb of [1, 10]) {
  const file = randomBytes(mb << 20);
  const boundary = `----b${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="x.gz"\r\nContent-Type: application/gzip\r\n\r\n`);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nmlp\r\n`),
    head,
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const ct = `multipart/form-data; boundary=${boundary}`;
  const a: number[] = [],
    b: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const form = await new Request('http://x/', { method: 'POST', body, headers: { 'content-type': ct } }).formData();
    const f = new Uint8Array(await (form.get('images') as Blob).arrayBuffer());
    a.push(performance.now() - t);
    t = performance.now();
    const e = await parseMultipart(
      Readable.from(Array.from({ length: Math.ceil(body.length / 65536) }, (_, k) => body.subarray(k * 65536, (k + 1) * 65536))),
      ct,
    );
    b.push(performance.now() - t);
    if (f.length !== file.length || (e[1]![1] as Uint8Array).length !== file.length || !Buffer.from(e[1]![1] as Uint8Array).equals(file) || e[0]![1] !== 'mlp')
      throw new Error('mismatch');
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[2]!.toFixed(1);
  console.log(
    `${mb} MB multipart: formData() median ${med(a)} ms in one go; parseMultipart median ${med(b)} ms in all, spread over ${Math.ceil(body.length / 65536)} chunks`,
  );
}

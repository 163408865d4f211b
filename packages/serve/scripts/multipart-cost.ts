/**
 * What parsing a multipart upload costs: the Fetch API's formData() (what
 * readForm used before) against parseMultipart (busboy) on the same 1 MB and
 * 10 MB bodies, fed as 64 kB chunks as a socket delivers them; median of 5
 * alternating runs each. Usage: node --import tsx packages/serve/scripts/multipart-cost.ts
 */
import { randomBytes } from 'node:crypto';
import { parseMultipart } from '../src/multipart.ts';
import { encodeForm, inChunks } from '../test/attacks.ts';

const CHUNK = 64 * 1024;
for (const mb of [1, 10]) {
  const file = randomBytes(mb << 20);
  const form = new FormData();
  form.append('model', 'mlp');
  form.append('images', new Blob([file]), 'x.gz');
  const { body, type } = await encodeForm(form);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const parsed = await new Request('http://x/', { method: 'POST', body, headers: { 'content-type': type } }).formData();
    const f = new Uint8Array(await (parsed.get('images') as Blob).arrayBuffer());
    a.push(performance.now() - t);
    t = performance.now();
    const e = await parseMultipart(inChunks(body, CHUNK), type);
    b.push(performance.now() - t);
    if (f.length !== file.length || !Buffer.from(e[1]![1] as Uint8Array).equals(file) || e[0]![1] !== 'mlp') throw new Error('mismatch');
  }
  const med = (x: number[]) => [...x].sort((p, q) => p - q)[2]!.toFixed(1);
  console.log(
    `${mb} MB multipart: formData() median ${med(a)} ms in one go; parseMultipart median ${med(b)} ms in all, spread over ${Math.ceil(body.length / CHUNK)} chunks`,
  );
}

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseMultipart } from './multipart.ts';

const BOUNDARY = '----fmnist-test-boundary';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

function form(parts: { name: string; filename?: string; value: Uint8Array | string }[], end = true): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${p.filename ? 'Content-Type: application/octet-stream\r\n' : ''}\r\n`));
    out.push(Buffer.from(p.value));
    out.push(Buffer.from('\r\n'));
  }
  if (end) out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

/** The body in chunks of `size` bytes, as a socket would deliver it. */
function chunked(body: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));
  return Readable.from(chunks);
}

// Bytes that include CR, LF and dashes, so that a parser cutting at a false boundary would be caught.
const file = Buffer.from(Array.from({ length: 70_000 }, (_, i) => [13, 10, 45, 45, (i * 7) & 255][i % 5]!));
const parts = [
  { name: 'model', value: 'mlp' },
  { name: 'images', filename: 'a.gz', value: file },
  { name: 'images', filename: 'b.gz', value: new Uint8Array(0) },
  { name: 'note', value: 'ä text field' },
];

describe('parseMultipart', () => {
  it("gives the parts in order, files as bytes and fields as text, as the Fetch API's formData() does", async () => {
    const body = form(parts);
    const reference = await new Request('http://x/', { method: 'POST', body, headers: { 'content-type': TYPE } }).formData();
    const expected = await Promise.all(
      [...reference.entries()].map(async ([name, value]) => [name, typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer())]),
    );
    const parsed = await parseMultipart(Readable.from([body]), TYPE);
    expect(parsed.map(([name, value]) => [name, typeof value === 'string' ? value : Buffer.from(value)])).toEqual(expected);
    expect(Buffer.from(parsed[1]![1] as Uint8Array).equals(file)).toBe(true);
  });

  it('gives the same parts whichever way the body is cut into chunks', async () => {
    const body = form(parts);
    const whole = await parseMultipart(Readable.from([body]), TYPE);
    for (const size of [1, 7, 64, 4096]) expect(await parseMultipart(chunked(body, size), TYPE)).toEqual(whole);
  });

  it('rejects a form that does not end, and a content type without a boundary', async () => {
    await expect(parseMultipart(Readable.from([form(parts, false)]), TYPE)).rejects.toThrow();
    await expect(parseMultipart(Readable.from([form(parts)]), 'multipart/form-data')).rejects.toThrow();
  });

  it("rejects with the source's error when the body fails to arrive", async () => {
    const body = form(parts);
    const source = new Readable({
      read() {
        this.push(body.subarray(0, 100));
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      },
    });
    await expect(parseMultipart(source, TYPE)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeForm, inChunks } from '../test/attacks.ts';
import { parseMultipart } from './multipart.ts';

// Bytes that include CR, LF and dashes, so that a parser cutting at a false boundary would be caught.
const file = Buffer.from(Array.from({ length: 70_000 }, (_, i) => [13, 10, 45, 45, (i * 7) & 255][i % 5]!));

function testForm(): FormData {
  const form = new FormData();
  form.append('model', 'mlp');
  form.append('images', new Blob([file]), 'a.gz');
  form.append('images', new Blob([]), 'b.gz');
  form.append('note', 'ä text field');
  return form;
}

describe('parseMultipart', () => {
  it("gives the parts in order, files as bytes and fields as text, as the Fetch API's formData() does", async () => {
    const { body, type } = await encodeForm(testForm());
    const reference = await new Request('http://x/', { method: 'POST', body, headers: { 'content-type': type } }).formData();
    const expected = await Promise.all(
      [...reference.entries()].map(async ([name, value]) => [name, typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer())]),
    );
    const parsed = await parseMultipart(Readable.from([body]), type);
    expect(parsed.map(([name, value]) => [name, typeof value === 'string' ? value : Buffer.from(value)])).toEqual(expected);
    expect(Buffer.from(parsed[1]![1] as Uint8Array).equals(file)).toBe(true);
  });

  it('gives the same parts whichever way the body is cut into chunks', async () => {
    const { body, type } = await encodeForm(testForm());
    const whole = await parseMultipart(Readable.from([body]), type);
    for (const size of [1, 7, 64, 4096]) expect(await parseMultipart(inChunks(body, size), type)).toEqual(whole);
  });

  it('rejects a form that does not end, and a content type without a boundary', async () => {
    const { body, type } = await encodeForm(testForm());
    await expect(parseMultipart(Readable.from([body.subarray(0, body.length - 10)]), type)).rejects.toThrow();
    await expect(parseMultipart(Readable.from([body]), 'multipart/form-data')).rejects.toThrow();
  });

  it("rejects with the source's error when the body fails to arrive", async () => {
    const { body, type } = await encodeForm(testForm());
    const source = new Readable({
      read() {
        this.push(body.subarray(0, 100));
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      },
    });
    await expect(parseMultipart(source, type)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('shows each file part its first bytes as they arrive, and stops at a refusal without waiting for the rest', async () => {
    const { body, type } = await encodeForm(testForm());
    const seen: [string, number, number][] = [];
    const parts = await parseMultipart(inChunks(body, 1000), type, { bytes: 100, head: (name, head) => seen.push([name, head.length, head[0]!]) });
    // The long file's first 100 bytes; the empty one whole.
    expect(seen).toEqual([
      ['images', 100, file[0]!],
      ['images', 0, undefined as unknown as number],
    ]);
    expect(parts).toHaveLength(4);
    // A body whose first 4 kB arrive and then nothing more: only a refusal from those can end the parse.
    const stalled = new Readable({ read() {} });
    stalled.push(body.subarray(0, 4096));
    const refusal = new Error('refused from its head');
    await expect(
      parseMultipart(stalled, type, {
        bytes: 512,
        head: () => {
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
  });
});

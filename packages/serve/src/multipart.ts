import type { Readable } from 'node:stream';
import busboy from 'busboy';

/** A part of a multipart/form-data body: a text field's value, or a file's bytes. */
export type FormEntry = [name: string, value: string | Uint8Array];

/**
 * The parts of a multipart/form-data body, in order: text fields as strings,
 * parts with a filename as their bytes (as the Fetch API's formData() tells
 * them apart), parsed as the body arrives. Node 20's formData() parsed the
 * whole body in one go once it had arrived, on the event loop (106 ms for
 * 10 MB; scripts/multipart-cost.ts), so two clients posting 1 MB datasets to
 * /evaluate held every other request up (docs/benchmarks.md, session 18).
 * busboy parses each chunk as it comes (8 ms for the 10 MB in all), so no
 * one upload takes the event loop for long.
 * Rejects a malformed body (no boundary, a form that does not end) and a
 * body that fails to arrive (the source's error).
 */
export function parseMultipart(source: Readable, contentType: string): Promise<FormEntry[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // No size limits here: the body guard bounds the whole body already.
      parser = busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: Number.POSITIVE_INFINITY } });
    } catch (err) {
      reject(err);
      return;
    }
    const fail = (err: unknown) => {
      source.unpipe(parser);
      reject(err);
    };
    const entries: FormEntry[] = [];
    parser.on('field', (name, value) => entries.push([name, value]));
    parser.on('file', (name, stream) => {
      const slot = entries.push([name, new Uint8Array(0)]) - 1;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => (entries[slot] = [name, Buffer.concat(chunks)]));
    });
    parser.on('close', () => resolve(entries));
    parser.on('error', fail);
    source.on('error', fail);
    source.pipe(parser);
  });
}

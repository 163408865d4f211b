import type { Readable } from 'node:stream';
import busboy from 'busboy';

/** A part of a multipart/form-data body: a text field's value, or a file's bytes. */
export type FormEntry = [name: string, value: string | Uint8Array];

/** Looks at each file part's first `bytes` bytes (all of a shorter part) as they arrive, and throws to refuse the form. */
export interface PartInspector {
  bytes: number;
  head(name: string, head: Uint8Array): void;
}

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
 * `inspect`, when given, sees each file part's beginning as soon as it
 * arrives, and may throw to refuse the form: the rejection is its error, and
 * the rest of the body is not read.
 */
export function parseMultipart(source: Readable, contentType: string, inspect?: PartInspector): Promise<FormEntry[]> {
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
      let length = 0;
      const wanted = inspect?.bytes ?? Number.POSITIVE_INFINITY;
      let inspected = inspect === undefined;
      // Whether the form may go on: false once `inspect` has refused it.
      const check = (): boolean => {
        inspected = true;
        try {
          inspect?.head(name, Buffer.concat(chunks, Math.min(length, wanted)));
          return true;
        } catch (err) {
          fail(err);
          return false;
        }
      };
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (!inspected && length >= wanted) check();
      });
      stream.on('end', () => {
        if (!inspected && !check()) return;
        entries[slot] = [name, Buffer.concat(chunks, length)];
      });
    });
    parser.on('close', () => resolve(entries));
    parser.on('error', fail);
    source.on('error', fail);
    source.pipe(parser);
  });
}

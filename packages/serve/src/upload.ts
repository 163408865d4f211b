import type { BodyPacer } from './body-pacer.ts';
import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { bodyTimedOut } from './connections.ts';
import { HttpError } from './errors.ts';
import { type FormEntry, type PartInspector, parseMultipart } from './multipart.ts';
import { ClientGoneError } from './work-queue.ts';

/** What a classify request carried: image bytes plus the fields that may come as query or form fields. */
export interface Upload {
  images: Uint8Array[];
  fields: Record<string, string>;
}

const RAW_TYPES = /^(image\/[\w.+-]+|application\/octet-stream)$/i;

/**
 * Reads images from multipart/form-data (field `image`, repeatable) or from
 * a raw body with an image content type. Query parameters are merged under
 * the form fields so `?model=mlp` works with both.
 */
export async function readUpload(c: Context, options: ReadOptions = {}): Promise<Upload> {
  const fields: Record<string, string> = { ...c.req.query() };
  const type = mediaType(c);
  if (type === 'multipart/form-data') {
    const form = await readForm(c);
    const images: Uint8Array[] = [];
    for (const [key, value] of form) {
      if (typeof value === 'string') {
        if (key === 'image' || key === 'images') throw new HttpError('missing_image', `field '${key}' must be a file, not text`);
        fields[key] = value;
      } else if (key === 'image' || key === 'images') {
        images.push(value);
      }
    }
    if (images.length === 0) throw new HttpError('missing_image', "no file in field 'image' of the form");
    return { images, fields };
  }
  if (type !== '' && !RAW_TYPES.test(type)) {
    throw new HttpError(
      'unsupported_media_type',
      `content type '${type.slice(0, 80)}' is not accepted; send multipart/form-data with field 'image', or the image bytes with an image/* content type`,
    );
  }
  let body: Uint8Array;
  try {
    const incoming = sizedIncoming(c);
    body = incoming && options.inspect ? await readInspecting(incoming, options.inspect, options.pacer) : new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    throw unreadable(c, err, 'the request body could not be read');
  }
  if (body.byteLength === 0) throw new HttpError('empty_body', 'the request body is empty; send an image');
  return { images: [body], fields };
}

export interface ReadOptions {
  /**
   * Judges a raw body's first INSPECT_BYTES once they have arrived, and
   * throws to refuse it: the rest is never read. (A shorter body is not
   * inspected: it is already whole.)
   */
  inspect?: (prefix: Uint8Array) => void;
  /** Paces the read of an inspected body with the other uploads' (body-pacer.ts). */
  pacer?: BodyPacer;
}

/** Enough for a PNG's first 10,000 chunk headers (the chunk cap) and any image header. */
const INSPECT_BYTES = 256 * 1024;

/**
 * The Node request behind `c` when its body has a stated length (not
 * chunked), which the body guard has already checked, so that the body can
 * be read from it directly; undefined otherwise (a chunked body is read
 * through the guard's size-limiting stream).
 */
function statedIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming && c.req.header('content-length') !== undefined && c.req.header('transfer-encoding') === undefined ? incoming : undefined;
}

/** statedIncoming, for a body over INSPECT_BYTES: a shorter one is judged whole anyway, and hono's direct read takes it faster. */
function sizedIncoming(c: Context): IncomingMessage | undefined {
  const incoming = statedIncoming(c);
  return incoming && Number(c.req.header('content-length')) > INSPECT_BYTES ? incoming : undefined;
}

/**
 * Reads a body of a stated length, letting `inspect` refuse it from its
 * beginning; a refusal stops the read. Each chunk is copied once, into one
 * buffer of that length, as it arrives: gathering the chunks and joining
 * them at the end (and the first 256 kB for `inspect`) copied every photo
 * two more times on the event loop, into freshly faulted-in memory, which
 * under a flood of uploads was the event loop's largest cost
 * (docs/benchmarks.md, session 19).
 */
export function readInspecting(incoming: IncomingMessage, inspect: (prefix: Uint8Array) => void, pacer?: BodyPacer): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // sizedIncoming checked the stated length, and Node's parser ends a body there.
    const body = Buffer.allocUnsafe(Number(incoming.headers['content-length']));
    let length = 0;
    let inspected = false;
    let reading = true;
    const check = () => {
      inspected = true;
      try {
        inspect(body.subarray(0, INSPECT_BYTES));
      } catch (err) {
        cleanup();
        incoming.pause();
        reject(err);
      }
    };
    const onData = (chunk: Buffer) => {
      length += chunk.copy(body, length);
      if (!inspected && length >= INSPECT_BYTES) check();
      if (pacer && !pacer.take(chunk.length) && !incoming.isPaused()) {
        incoming.pause();
        // Not once the read has ended: a refused upload stays paused, never drained.
        pacer.next(() => reading && incoming.resume());
      }
    };
    const onEnd = () => {
      cleanup();
      // A body that ended before INSPECT_BYTES is read whole: the full header check that follows judges it, once.
      // The Buffer itself, not a Uint8Array copy: a photo's every extra copy is megabytes for the garbage collector.
      resolve(body.subarray(0, length));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const cleanup = () => {
      reading = false;
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}

/** The request's media type: lower case, without parameters ('' when absent). */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A multipart/form-data body as [field, text or file bytes] pairs, in order;
 * a malformed body is the client's 400. `inspect` sees each file part's
 * beginning as it arrives and may throw to refuse the upload there
 * (parseMultipart).
 */
export async function readForm(c: Context, inspect?: PartInspector): Promise<FormEntry[]> {
  const empty = () => new HttpError('bad_request', 'the multipart/form-data body is empty');
  let source: Readable;
  const incoming = statedIncoming(c);
  if (incoming) {
    if (Number(c.req.header('content-length')) === 0) throw empty();
    // busboy reads the Node request itself: through the web stream hono builds for `c.req.raw.body`, each chunk
    // was copied once more (Readable.toWeb) and passed through two stream adapters, on the event loop; two clients
    // posting 1 MB datasets spent a tenth of it there (docs/benchmarks.md, session 20).
    source = incoming;
  } else {
    const body = c.req.raw.body;
    if (!body) throw empty();
    source = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  }
  try {
    return await parseMultipart(source, c.req.header('content-type') ?? '', inspect);
  } catch (err) {
    throw unreadable(c, err, 'the multipart/form-data body is malformed');
  }
}

/** A JSON body of at most `maxBytes` (413 beyond); malformed JSON is the client's 400. */
export async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new HttpError('payload_too_large', `the JSON body is over the ${maxBytes} byte limit`, { Connection: 'close' });
  if (Number(c.req.header('content-length') ?? 0) > maxBytes) throw tooLarge();
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch (err) {
    throw unreadable(c, err, 'the request body could not be read');
  }
  if (bytes.byteLength > maxBytes) throw tooLarge();
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError('bad_request', 'the body must be well-formed JSON');
  }
}

/**
 * Why a body could not be read: an upload the client aborted is not the
 * server's fault (and nobody will read the answer); the body-size limit keeps
 * its 413; anything else is a malformed body.
 */
export function unreadable(c: Context, err: unknown, message: string): Error {
  if (err instanceof HttpError || err instanceof ClientGoneError) return err;
  if (bodyTimedOut((c.env as { incoming?: IncomingMessage } | undefined)?.incoming)) {
    return new HttpError('request_timeout', 'the request body stopped arriving; the upload was cut off (send it again)', { Connection: 'close' });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (
    c.req.raw.signal.aborted ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    /aborted|terminated/i.test(String((err as Error | undefined)?.message))
  )
    return new ClientGoneError('upload');
  return new HttpError('bad_request', message);
}

import type { Context } from 'hono';
import { HttpError } from './errors.ts';

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
export async function readUpload(c: Context): Promise<Upload> {
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
    throw new HttpError('unsupported_media_type', `content type '${type.slice(0, 80)}' is not accepted; send multipart/form-data with field 'image', or the image bytes with an image/* content type`);
  }
  let body: ArrayBuffer;
  try {
    body = await c.req.arrayBuffer();
  } catch {
    throw new HttpError('bad_request', 'the request body could not be read');
  }
  if (body.byteLength === 0) throw new HttpError('empty_body', 'the request body is empty; send an image');
  return { images: [new Uint8Array(body)], fields };
}

/** The request's media type: lower case, without parameters ('' when absent). */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A multipart/form-data body as [field, text or file bytes] pairs, in order; a malformed body is the client's 400. */
export async function readForm(c: Context): Promise<[string, string | Uint8Array][]> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new HttpError('bad_request', 'the multipart/form-data body is malformed');
  }
  const entries: [string, string | Uint8Array][] = [];
  for (const [key, value] of form.entries()) entries.push([key, typeof value === 'string' ? value : new Uint8Array(await value.arrayBuffer())]);
  return entries;
}

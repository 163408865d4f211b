/**
 * Tells image formats apart by their magic bytes, so a text file, a PDF or
 * an SVG gets "not an image" before any decoder sees it (libvips would
 * render SVG and PDF at a cost no pixel count bounds). Pure bytes: runs in
 * Node and the browser.
 */
export const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp', 'avif', 'tiff', 'bmp', 'ico'] as const;
/** `avif` is any ISO-BMFF still image: AVIF and HEIF/HEIC share the container and the decoder cost. */
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** What the server decodes (sharp/libvips): the browser's list less BMP and ICO. */
export const SERVER_IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp', 'avif', 'tiff'] as const satisfies readonly ImageFormat[];
export type ServerImageFormat = (typeof SERVER_IMAGE_FORMATS)[number];

/** The server's list for messages: 'PNG, JPEG, WebP, GIF, AVIF, TIFF'. */
export const SERVER_FORMATS_TEXT = 'PNG, JPEG, WebP, GIF, AVIF, TIFF';

/** ISO-BMFF major brands of still images (AVIF, HEIF, HEIC and their sequences). */
const BMFF_BRANDS = /^(avif|avis|heic|heix|mif1|msf1)$/;

/**
 * Pixel ceiling for one decoded photo, shared by the server's default
 * decode budget and the browser: a 50 MP phone photo, the largest in
 * common use; bigger images would need gigabytes once widened to float.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** The format whose magic bytes `b` starts with; undefined for anything else or a header too short to tell. */
export function sniffImage(b: Uint8Array): ImageFormat | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  if (ascii(4, 8) === 'ftyp' && BMFF_BRANDS.test(ascii(8, 12))) return 'avif';
  if (b.length >= 4 && ascii(0, 2) === 'BM') return 'bmp';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return 'ico';
  return undefined;
}

/** The server-decodable format `b` starts with, or undefined (BMP and ICO included). */
export function sniffServerImage(b: Uint8Array): ServerImageFormat | undefined {
  const format = sniffImage(b);
  return format !== undefined && (SERVER_IMAGE_FORMATS as readonly string[]).includes(format) ? (format as ServerImageFormat) : undefined;
}

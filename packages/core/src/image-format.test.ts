import { describe, expect, it } from 'vitest';
import { sniffImage, sniffServerImage } from './image-format.ts';

const bytes = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe('sniffImage', () => {
  it('recognises every format by its magic bytes', () => {
    expect(sniffImage(bytes([0x89], 'PNG\r\n', [0x1a, 0x0a]))).toBe('png');
    expect(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))).toBe('jpeg');
    expect(sniffImage(bytes('GIF89a'))).toBe('gif');
    expect(sniffImage(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('webp');
    expect(sniffImage(bytes('II*\0'))).toBe('tiff');
    expect(sniffImage(bytes('MM\0*'))).toBe('tiff');
    expect(sniffImage(bytes('BM', [0, 0, 0, 0]))).toBe('bmp');
    expect(sniffImage(bytes([0, 0, 1, 0, 1, 0]))).toBe('ico');
  });
  it('calls every ISO-BMFF still-image brand avif, the name the server and the browser share', () => {
    for (const brand of ['avif', 'avis', 'heic', 'heix', 'mif1', 'msf1']) expect(sniffImage(bytes([0, 0, 0, 0x20], `ftyp${brand}`)), brand).toBe('avif');
    expect(sniffImage(bytes([0, 0, 0, 0x20], 'ftypisom'))).toBeUndefined(); // an MP4 video
  });
  it('refuses text, PDFs, SVG and headers too short to tell', () => {
    expect(sniffImage(bytes('hello, world'))).toBeUndefined();
    expect(sniffImage(bytes('%PDF-1.7'))).toBeUndefined();
    expect(sniffImage(bytes('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeUndefined();
    expect(sniffImage(bytes([0x89, 0x50]))).toBeUndefined();
    expect(sniffImage(bytes('BM'))).toBeUndefined();
    expect(sniffImage(new Uint8Array(0))).toBeUndefined();
  });
});

describe('sniffServerImage', () => {
  it('accepts what sharp decodes, AVIF included, and leaves out BMP and ICO', () => {
    expect(sniffServerImage(bytes([0, 0, 0, 0x1c], 'ftypheic'))).toBe('avif');
    expect(sniffServerImage(bytes([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(sniffServerImage(bytes('BM', [0, 0, 0, 0]))).toBeUndefined();
    expect(sniffServerImage(bytes([0, 0, 1, 0, 1, 0]))).toBeUndefined();
  });
});

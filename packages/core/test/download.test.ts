import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, md5Hex, downloadFile, type DatasetFile } from '../src/node.ts';

// A local mirror on 127.0.0.1 serving one good and one corrupted file.
const body = Buffer.from('fashion-mnist-bytes '.repeat(500));
const good: DatasetFile = { name: 'good.gz', md5: md5Hex(body) };
const corrupt: DatasetFile = { name: 'corrupt.gz', md5: md5Hex(body) };
let server: Server;
let mirror: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/good.gz') res.end(body);
    else if (req.url === '/corrupt.gz') res.end(Buffer.concat([body.subarray(0, 100), Buffer.from('x')]));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('downloadFile', () => {
  it('downloads, reports progress, checks the md5 and leaves only the final file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-'));
    const seen: number[] = [];
    await downloadFile(dir, good, { mirror, onProgress: (p) => seen.push(p.received) });
    expect(await readFile(join(dir, good.name))).toEqual(body);
    expect(seen.at(-1)).toBe(body.length);
    expect(await readdir(dir)).toEqual([good.name]);
  });

  it('refuses a file whose md5 differs and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-'));
    await expect(downloadFile(dir, corrupt, { mirror })).rejects.toMatchObject({ code: 'checksum' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('says the mirror cannot be reached when offline, and reports HTTP errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-'));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const offline = downloadFile(dir, good, { mirror: `http://127.0.0.1:${port}/` });
    await expect(offline).rejects.toBeInstanceOf(DownloadError);
    await expect(offline).rejects.toThrow(/cannot reach the mirror.*offline/i);
    await expect(downloadFile(dir, { name: 'missing.gz', md5: '0' }, { mirror })).rejects.toThrow(/HTTP 404/);
  });
});

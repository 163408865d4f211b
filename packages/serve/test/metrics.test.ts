/** /metrics as Prometheus reads it: valid exposition (promtool), and refusals counted under the route they were sent to. */
import { spawnSync } from 'node:child_process';
import { IMAGE_PIXELS } from '@fmnist/core';
import { describe, expect, it } from 'vitest';
import { pngOf, useFixtureServer } from './helpers.ts';
import { metric } from './raw-http.ts';

const current = useFixtureServer();
// Debian's `prometheus` package has promtool; CI installs it (.ci/run).
const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('/metrics', () => {
  it.skipIf(!promtool && !process.env.CI)('passes `promtool check metrics` after real traffic', async () => {
    const { url } = current();
    await fetch(`${url}/classify`, { method: 'POST', body: await pngOf(new Uint8Array(IMAGE_PIXELS).fill(90)), headers: { 'content-type': 'image/png' } });
    await fetch(`${url}/classify`, { method: 'POST', body: 'not an image', headers: { 'content-type': 'image/png' } });
    await fetch(`${url}/nowhere`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(promtool, 'promtool is missing: apt-get install prometheus').toBe(true);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('counts a request refused before any route ran (413) under the route it was sent to', async () => {
    const { url } = current();
    const before = await metric(url, 'fmnist_http_requests_total', { route: '/classify', status: '413' });
    const res = await fetch(`${url}/classify`, { method: 'POST', body: new Uint8Array(11 * 1024 * 1024), headers: { 'content-type': 'image/png' } }).catch(
      () => undefined,
    );
    if (res) expect(res.status).toBe(413);
    expect(await metric(url, 'fmnist_http_requests_total', { route: '/classify', status: '413' })).toBe(before + 1);
    // The same on a /v2 route with a path parameter: the pattern, as for requests a route answered.
    const v2 = { route: '/v2/models/:name/infer', status: '413' };
    const v2Before = await metric(url, 'fmnist_http_requests_total', v2);
    const refused = await fetch(`${url}/v2/models/cnn/infer`, {
      method: 'POST',
      body: new Uint8Array(11 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    }).catch(() => undefined);
    if (refused) expect(refused.status).toBe(413);
    expect(await metric(url, 'fmnist_http_requests_total', v2)).toBe(v2Before + 1);
    const routes = new Set([...(await (await fetch(`${url}/metrics`)).text()).matchAll(/^fmnist_http_requests_total\{route="([^"]*)"/gm)].map((m) => m[1]));
    expect(routes.has('/*')).toBe(false);
    // A path no route has is one label ('unmatched'), not one per path, whether refused early or not found.
    await fetch(`${url}/v2/models/nope/infer/x`, { method: 'POST', body: new Uint8Array(11 * 1024 * 1024) }).catch(() => undefined);
    await fetch(`${url}/nowhere`);
    expect(await metric(url, 'fmnist_http_requests_total', { route: '/v2/models/nope/infer/x' })).toBe(0);
    expect(await metric(url, 'fmnist_http_requests_total', { route: 'unmatched' })).toBeGreaterThanOrEqual(2);
  });
});

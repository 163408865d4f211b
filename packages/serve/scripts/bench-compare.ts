/**
 * Paired throughput comparison of this server against another checkout's
 * (e.g. the commit before a change): POST /classify with the 28x28 test PNG
 * and with a 1000x1000 JPEG photo at 32 connections, the two builds
 * alternating within each round (which one goes first alternates too), so
 * the machine's drift hits both alike. Prints every round and the medians.
 * Usage: node --import tsx packages/serve/scripts/bench-compare.ts --other DIR [--new DIR --rounds 5 --duration 8 --models DIR --model NAME --payloads png,jpeg]
 * --new DIR runs another checkout's server as "new" (default: this one), so that two older commits can be compared when bisecting.
 * --payloads keeps only some of the loads (png: the 28x28 PNG, jpeg: the 1000x1000 JPEG).
 * --model names the model both builds classify with (their defaults may differ: cnn before cnn-photo shipped).
 * Each line also gives the server's CPU time per request (all its threads), steadier than req/s when other load comes and goes.
 * DIR is the other checkout's root, with its dependencies installed.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSplit, repoRoot, resolveDataDir } from '@fmnist/core/node';
import { photoJpeg } from '../test/attacks.ts';
import { fmt, loadTest, serverArgs, start, stop, testImagePng } from './load-harness.ts';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    new: { type: 'string' },
    payloads: { type: 'string', default: 'png,jpeg' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    models: { type: 'string' },
    model: { type: 'string' },
  },
});
if (!values.other) throw new Error('--other DIR (the checkout to compare with) is required');
const modelsDir = values.models ?? join(repoRoot(), 'models');
const png = await testImagePng(await loadSplit(resolveDataDir(undefined), 'test', { verify: false }));
const photo = await photoJpeg(1000);
const builds = { new: serverArgs(modelsDir), old: serverArgs(modelsDir) };
builds.old[0] = join(values.other, 'packages', 'serve', 'src', 'main.ts');
if (values.new) builds.new[0] = join(values.new, 'packages', 'serve', 'src', 'main.ts');
const payloads = new Set(values.payloads.split(','));
const loads = [
  { id: 'png', name: '28x28 PNG', body: png, type: 'image/png' },
  { id: 'jpeg', name: '1000x1000 JPEG', body: photo, type: 'image/jpeg' },
].filter((l) => payloads.has(l.id));
if (loads.length === 0) throw new Error(`--payloads names none of png, jpeg: ${values.payloads}`);
const rates = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `new: ${values.new ?? 'this checkout'} vs old: ${values.other}; ${values.rounds} rounds of ${values.duration} s at ${values.connections} connections`,
);
for (let round = 1; round <= Number(values.rounds); round++) {
  const order = round % 2 === 1 ? (['old', 'new'] as const) : (['new', 'old'] as const);
  const line: string[] = [];
  for (const build of order) {
    const server = await start(builds[build]);
    for (const l of loads) {
      const r = await loadTest(`http://127.0.0.1:${server.port}/classify${values.model ? `?model=${encodeURIComponent(values.model)}` : ''}`, l.body, l.type, {
        connections: Number(values.connections),
        seconds: Number(values.duration),
        pid: server.pid,
      });
      const key = `${build} ${l.name}`;
      rates.set(key, [...(rates.get(key) ?? []), r.requests.average]);
      cpu.set(key, [...(cpu.get(key) ?? []), r.cpuPerRequestUs!]);
      line.push(`${key}: ${fmt(r)}, server CPU ${Math.round(r.cpuPerRequestUs!)} µs/request`);
    }
    await stop(server.child);
  }
  console.log(`round ${round}:\n  ${line.join('\n  ')}`);
}
for (const l of loads) {
  const o = median(rates.get(`old ${l.name}`)!);
  const n = median(rates.get(`new ${l.name}`)!);
  console.log(`${l.name}: median old ${Math.round(o)} req/s, new ${Math.round(n)} req/s, new/old ${(n / o).toFixed(3)}`);
  const co = median(cpu.get(`old ${l.name}`)!);
  const cn = median(cpu.get(`new ${l.name}`)!);
  console.log(`${l.name}: server CPU per request, median old ${Math.round(co)} µs, new ${Math.round(cn)} µs, new/old ${(cn / co).toFixed(3)}`);
}

/**
 * The well-behaved client of bench:abuse in a process of its own: in the
 * bench's process it shared an event loop with the attack's load generator
 * (autocannon's 300 connections), so its latencies measured the bench as
 * much as the server. Started with the server's URL, a PNG's path and,
 * optionally, the admin port's URL (/healthz is polled there too); runs
 * until a line arrives on stdin, then prints its samples as JSON and exits.
 * It warms up (unrecorded requests) before it says it has started, and
 * exits when stdin closes without a line: a bench that was killed left its
 * probe sending requests for the rest of the session, beside later runs.
 */
import { readFileSync } from 'node:fs';
import { Probe } from './abuse-probe.ts';

const [base, pngPath, adminBase] = process.argv.slice(2);
if (!base || !pngPath) throw new Error('usage: abuse-probe-process.ts BASE_URL PNG_PATH [ADMIN_BASE_URL]');
const probe = new Probe(base, readFileSync(pngPath), adminBase);
await probe.warmUp();
probe.start();
process.stdout.write('started\n');
let stopping = false;
process.stdin.once('data', async () => {
  stopping = true;
  await probe.stop();
  process.stdout.write(`${JSON.stringify({ classify: probe.classify, health: probe.health, adminHealth: probe.adminHealth, connects: probe.connects })}\n`);
  process.exit(0);
});
process.stdin.once('end', () => stopping || process.exit(1));

import type { PreprocessReport } from '@fmnist/core';

/**
 * The optional server API (packages/serve). Under `vite dev` without a
 * running server, or on a static host, these calls fail and the page hides
 * the gallery and the compare button instead of showing errors.
 */
export interface Sample {
  index: number;
  label: number;
  name: string;
  /** PNG data URL of the 28x28 test image. */
  image: string;
}

export interface ServerAnswer {
  model: { name: string; version: string; provider: string };
  predictions: { index: number; name: string; probability: number }[];
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number };
  preprocessing: PreprocessReport;
  /** PNG data URL of the 28x28 input the server's model saw. */
  input?: string;
}

export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

async function json(res: Response): Promise<unknown> {
  return (res.headers.get('content-type') ?? '').includes('application/json') ? res.json() : undefined;
}

/** Test-set samples for the gallery, or undefined when the endpoint or its data is absent. */
export async function fetchSamples(n: number): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`samples?n=${n}`);
    if (!res.ok) return undefined;
    const body = (await json(res)) as { samples?: Sample[] } | undefined;
    return Array.isArray(body?.samples) ? body.samples : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `POST /classify` is there to compare with. */
export async function serverAvailable(): Promise<boolean> {
  try {
    const res = await fetch('healthz');
    return res.ok && ((await json(res)) as { status?: string } | undefined)?.status === 'ok';
  } catch {
    return false;
  }
}

export async function classifyOnServer(file: Blob, model: string, topk: number): Promise<ServerAnswer> {
  const form = new FormData();
  form.append('image', file, 'upload');
  let res: Response;
  try {
    res = await fetch(`classify?model=${encodeURIComponent(model)}&topk=${topk}&input=1`, { method: 'POST', body: form });
  } catch (err) {
    throw new ServerError(`the server could not be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  const body = (await json(res)) as (ServerAnswer & { error?: { message?: string } }) | undefined;
  if (!res.ok || !body) throw new ServerError(body?.error?.message ?? `the server answered ${res.status}`, res.status);
  return body;
}

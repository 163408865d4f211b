/**
 * The Open Inference Protocol authors' OpenAPI YAML (../shared/specs/open-inference-protocol,
 * OIP_SPEC_DIR overrides) as a validator of this server's /v2 answers, success and error.
 *
 * Where the YAML is silent the prose spec (inference_rest.md) decides, and
 * where they disagree the YAML wins; the differences that matter here:
 * - the YAML has only the versioned model paths; the prose makes
 *   `/versions/<v>` optional, so an unversioned path is checked as its versioned twin;
 * - the YAML gives health and model-ready answers no schema; the prose's
 *   shapes are checked instead (its server-ready object says `live`, evidently
 *   a copy of server-live's: `ready` is checked, as the model-ready object has);
 * - the YAML's inference_error_response does not mark `error` required, its
 *   other error objects and the prose ("must contain") do: required here too;
 * - the YAML lists only 400 as an error status; the prose allows any HTTP
 *   error status ("typically 400") with the same error object, so every 4xx/5xx
 *   is checked against the operation's error object (the metadata one for
 *   paths the YAML does not have);
 * - the YAML's `parameters` is any object and its tensor_data allows ragged
 *   nesting; the prose restricts both (string/number/boolean values,
 *   row-major data), and the server refuses what the prose forbids.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { repoRoot, userPath } from '@fmnist/core/node';
import type { Json } from './helpers.ts';

const dir = process.env.OIP_SPEC_DIR ? userPath(process.env.OIP_SPEC_DIR) : join(repoRoot(), '..', 'shared', 'specs', 'open-inference-protocol');
const file = join(dir, 'open_inference_rest.yaml');

/** Why the spec tests skip (undefined: they run); with REQUIRE_DATA=1 a missing spec fails instead. */
export const oipSpecMissing = existsSync(file)
  ? undefined
  : `${file} is missing: set OIP_SPEC_DIR to the folder with the Open Inference Protocol's open_inference_rest.yaml`;
if (oipSpecMissing) {
  if (process.env.REQUIRE_DATA === '1') throw new Error(`REQUIRE_DATA=1 but ${oipSpecMissing}`);
  console.warn(`${oipSpecMissing}: skipping the /v2 conformance tests`);
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: the specification's own path template, filled in by the test
const MODEL = '/v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}';
/** This server's /v2 routes and the YAML path each is checked as. */
const OPERATIONS: { method: string; path: RegExp; spec: string; error: string; prose?: object }[] = [
  { method: 'GET', path: /^\/v2\/?$/, spec: '/v2/', error: 'metadata_server_error_response' },
  {
    method: 'GET',
    path: /^\/v2\/health\/live$/,
    spec: '/v2/health/live',
    error: 'metadata_server_error_response',
    prose: { type: 'object', required: ['live'], properties: { live: { type: 'boolean' } } },
  },
  {
    method: 'GET',
    path: /^\/v2\/health\/ready$/,
    spec: '/v2/health/ready',
    error: 'metadata_server_error_response',
    prose: { type: 'object', required: ['ready'], properties: { ready: { type: 'boolean' } } },
  },
  { method: 'GET', path: /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?$/, spec: MODEL, error: 'metadata_model_error_response' },
  {
    method: 'GET',
    path: /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/,
    spec: `${MODEL}/ready`,
    error: 'metadata_model_error_response',
    prose: { type: 'object', required: ['name', 'ready'], properties: { name: { type: 'string' }, ready: { type: 'boolean' } } },
  },
  { method: 'POST', path: /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/, spec: `${MODEL}/infer`, error: 'inference_error_response' },
];

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

function load() {
  const doc = parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };
  const ajv = new Ajv({ allErrors: true });
  // OpenAPI 3.0's vendor extensions are annotations, not constraints.
  ajv.addKeyword('x-examples');
  // The components as one schema, with the YAML's own refs pointed into it.
  const definitions = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', 'oip#/definitions/')) as Record<string, object>;
  ajv.addSchema({ $id: 'oip', definitions });
  const component = (name: string) => ajv.getSchema(`oip#/definitions/${name}`)!;
  const errorRequired = ajv.compile({ type: 'object', required: ['error'], properties: { error: { type: 'string', minLength: 1 } } });
  return { doc, ajv, component, errorRequired };
}
let spec: ReturnType<typeof load> | undefined;
const validators = new Map<string, ValidateFunction>();
const compiled = (key: string, schema: () => object) => validators.get(key) ?? validators.set(key, spec!.ajv.compile(schema())).get(key)!;

/** What is wrong with one /v2 answer, by the spec (empty: nothing). Reads the body; returns it parsed. */
export async function checkV2(method: string, path: string, res: Response): Promise<{ problems: string[]; body: Json }> {
  spec ??= load();
  const text = await res.text();
  const problems: string[] = [];
  const where = `${method} ${path} -> ${res.status}`;
  if (!/^application\/json\b/.test(res.headers.get('content-type') ?? ''))
    problems.push(`${where}: content-type ${res.headers.get('content-type')}, not application/json`);
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    return { problems: [...problems, `${where}: not JSON: ${text.slice(0, 100)}`], body: undefined };
  }
  const op = OPERATIONS.find((o) => o.method === method && o.path.test(path));
  const run = (validate: ValidateFunction, what: string) => {
    if (!validate(body)) problems.push(`${where}: not a ${what}: ${spec!.ajv.errorsText(validate.errors)} in ${text.slice(0, 200)}`);
  };
  if (res.status >= 400) {
    // Any path under /v2, a route of it or not, answers the spec's error object.
    const name = op?.error ?? 'metadata_server_error_response';
    run(spec.component(name), name);
    run(spec.errorRequired, 'error object with a message');
    return { problems, body };
  }
  if (!op) return { problems: [...problems, `${where}: a success on a path the spec does not have`], body };
  const documented = spec.doc.paths[op.spec]?.[method.toLowerCase()]?.responses[String(res.status)];
  if (!documented) return { problems: [...problems, `${where}: status not in the spec's YAML for ${op.spec}`], body };
  const schema = documented.content?.['application/json']?.schema;
  if (schema)
    run(
      compiled(`${op.spec} ${res.status}`, () => JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', 'oip#/definitions/')) as object),
      `${op.spec} ${res.status} answer`,
    );
  else if (op.prose)
    run(
      compiled(op.spec, () => op.prose!),
      `${op.spec} answer as the prose spec has it`,
    );
  else problems.push(`${where}: neither the YAML nor the prose gives this answer a shape`);
  return { problems, body };
}

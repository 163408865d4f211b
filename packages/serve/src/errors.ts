import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error a client can cause, with its HTTP status. One place, so the OpenAPI document and the handlers agree. */
export const ERROR_STATUS = {
  bad_request: 400,
  empty_body: 400,
  missing_image: 400,
  bad_topk: 400,
  bad_explain_class: 400,
  bad_tensor: 400,
  too_many_images: 400,
  bad_dataset: 400,
  not_found: 404,
  unknown_model: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  dataset_too_large: 413,
  unsupported_media_type: 415,
  image_too_large: 422,
  corrupt_image: 422,
  over_budget: 422,
  non_finite_output: 422,
  // nginx's 'client closed request': nobody reads it, but /metrics and logs tell it from a server fault.
  client_gone: 499 as unknown as ContentfulStatusCode,
  no_data: 409,
  no_explanation: 409,
  queue_full: 503,
  not_ready: 503,
  overloaded: 503,
  shutting_down: 503,
  event_loop_stalled: 503,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** An error meant for the client: its message is safe to show (no paths from the server's internals, no stack). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    // No stack: nothing reads it (a client error is answered, not logged with one), and capturing it through
    // hono's middleware frames was 4% of the event loop's time while it shed a flood of uploads (bench:abuse case 4).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

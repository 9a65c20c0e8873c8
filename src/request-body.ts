/**
 * A request body as it leaves axios's `transformRequest`, made ready to be sent twice.
 * `replayable: false` means the bytes cannot be produced again (a caller's stream), so a
 * rejected request must not be resent with an empty body.
 */
export interface PreparedBody {
  readonly data: unknown;
  /** Headers that describe `data` when it was rewritten, e.g. a multipart boundary. */
  readonly headers?: Record<string, string>;
  readonly replayable: boolean;
}

/** The `form-data` package's form, which axios builds for `postForm()` in Node. */
interface NodeForm {
  getHeaders(): Record<string, string>;
  getBuffer(): Uint8Array;
  pipe(destination: unknown): unknown;
}

/**
 * Reads a transformed body once, before its first send. Strings, binary data, Blobs,
 * URLSearchParams and spec FormData can be sent again as they are. A Node form whose parts are
 * all in memory (what `postForm()` builds) is turned into the same bytes in a Buffer, which can
 * be resent; a form that streams a file, and any other stream, cannot.
 */
export function prepareBody(data: unknown): PreparedBody {
  if (typeof data !== 'object' || data === null) return { data, replayable: true };
  const form = data as Partial<NodeForm>;
  if (
    typeof form.pipe === 'function' &&
    typeof form.getHeaders === 'function' &&
    typeof form.getBuffer === 'function'
  ) {
    try {
      return { data: form.getBuffer(), headers: form.getHeaders(), replayable: true };
    } catch {
      // Not readable as a whole: a stream, as below.
    }
  }
  const isStream =
    typeof form.pipe === 'function' ||
    (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) ||
    Symbol.asyncIterator in data;
  return { data, replayable: !isStream };
}

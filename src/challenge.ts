/**
 * Reads the `error` parameter of the `Bearer` challenge in a `WWW-Authenticate` header
 * (RFC 6750 §3, RFC 9110 §11.6.1): `Bearer realm="api", error="invalid_token"`, with the value
 * quoted or as a token, the parameters in any order, and other challenges (`Basic …`) before or
 * after it. Words inside a quoted value, such as an `error_description`, are never read as the
 * error. Returns `undefined` when there is no Bearer challenge or it names no error.
 */
export function bearerChallengeError(header: unknown): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header;
  if (typeof text !== 'string') return undefined;
  let scheme = '';
  let error: string | undefined;
  // One item per match, after separators: a scheme (a token alone), a `name=value` parameter
  // whose value is quoted (backslash escapes; unterminated at the end) or a token (maybe empty),
  // or a single character that starts neither, skipped.
  const item =
    /[\s,]*(?:([!#$%&'*+\-.^_`|~\w]+)[ \t]*(=[ \t]*(?:"((?:[^"\\]|\\[^])*)\\?"?|([!#$%&'*+\-.^_`|~\w]*)))?|[^])/y;
  for (let match; (match = item.exec(text));) {
    const [, name, isParam, quoted, token] = match;
    if (name && !isParam) scheme = name.toLowerCase();
    else if (scheme === 'bearer' && name?.toLowerCase() === 'error') {
      error ??= quoted?.replace(/\\([^])/g, '$1') ?? token;
    }
  }
  return error;
}

/**
 * The `error` member of a response body, as an object or as the JSON text (or bytes, with
 * `responseType: 'arraybuffer'`) adapters hand over before `transformResponse` parses it;
 * `undefined` when there is none. A `Blob` body cannot be read in time and is not looked into.
 */
export function bodyError(data: unknown): string | undefined {
  let body = data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return data.byteLength < 65_536 ? bodyError(new TextDecoder().decode(data)) : undefined;
  }
  if (typeof data === 'string' && data.length < 65_536 && /^\s*\{/.test(data)) {
    try {
      body = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const error =
    typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' ? error : undefined;
}

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
  for (const item of challengeItems(text)) {
    if (item.kind === 'scheme') scheme = item.name.toLowerCase();
    else if (scheme === 'bearer' && item.name.toLowerCase() === 'error') error ??= item.value;
  }
  return error;
}

type ChallengeItem =
  { kind: 'scheme'; name: string } | { kind: 'param'; name: string; value: string };

/** Splits a header into schemes and `name=value` parameters, honouring quoted strings. */
function* challengeItems(text: string): Generator<ChallengeItem> {
  const tokenAt = /[!#$%&'*+\-.^_`|~\w]+/y;
  let position = 0;
  const skip = (pattern: RegExp) => {
    while (position < text.length && pattern.test(text[position])) position += 1;
  };
  while (position < text.length) {
    skip(/[\s,]/);
    tokenAt.lastIndex = position;
    const token = tokenAt.exec(text);
    if (!token) {
      position += 1;
      continue;
    }
    position = tokenAt.lastIndex;
    skip(/[ \t]/);
    if (text[position] !== '=') {
      yield { kind: 'scheme', name: token[0] };
      continue;
    }
    position += 1;
    skip(/[ \t]/);
    if (text[position] === '"') {
      let value = '';
      position += 1;
      while (position < text.length && text[position] !== '"') {
        if (text[position] === '\\') position += 1;
        value += text[position] ?? '';
        position += 1;
      }
      position += 1;
      yield { kind: 'param', name: token[0], value };
    } else {
      tokenAt.lastIndex = position;
      const value = tokenAt.exec(text);
      if (value) position = tokenAt.lastIndex;
      yield { kind: 'param', name: token[0], value: value?.[0] ?? '' };
    }
  }
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

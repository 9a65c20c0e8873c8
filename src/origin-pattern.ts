/**
 * Trusted origins as users write them: exact origins (`'https://api.example.com'`,
 * `'http://127.0.0.1:8080'`) and subdomain wildcards (`'https://*.example.com'`). A wildcard
 * matches one label or more below the domain (`a.example.com`, `a.b.example.com`), never the
 * domain itself, on the same scheme and port; the domain needs two labels at least (`*.com` is
 * refused). Public suffixes such as `co.uk` or `github.io` are not known here: do not put a
 * wildcard over them. Shared by `attachOAuth2`'s `allowedOrigins` and the
 * frame's `platformOrigins`.
 */

interface Wildcard {
  readonly protocol: string;
  readonly port: string;
  /** `.example.com`: a matching host ends with it and is longer. */
  readonly suffix: string;
}

/**
 * Reads `patterns` into a test of origins (as `URL.origin` writes them).
 * @param option - the option's name, for the message of the `TypeError`
 * @throws TypeError for anything but an array of exact http(s) origins and wildcards: a path, a
 * query, a fragment, credentials or a bare `'*'`, with a message that says how to write it.
 */
export function originMatcher(patterns: unknown, option: string): (origin: string) => boolean {
  if (!Array.isArray(patterns)) {
    throw new TypeError(
      `${option} must be an array of origins such as 'https://api.example.com' or 'https://*.example.com'.`,
    );
  }
  const exact = new Set<string>();
  const wildcards: Wildcard[] = [];
  for (const pattern of patterns as unknown[]) {
    const wildcard = readWildcard(pattern);
    if (wildcard) wildcards.push(wildcard);
    else exact.add(readExact(pattern, option));
  }
  if (wildcards.length === 0) return (origin) => exact.has(origin);
  return (origin) => exact.has(origin) || matchesWildcard(origin, wildcards);
}

function readExact(pattern: unknown, option: string): string {
  const url = typeof pattern === 'string' && !pattern.includes('*') ? parseHttpUrl(pattern) : null;
  if (!url || !isBareOrigin(url, pattern as string)) {
    throw new TypeError(
      `${option} holds ${describe(pattern)}, which is not an origin: write the scheme, host and port only, such as 'https://api.example.com' or 'https://*.example.com'. A path, a query, credentials, a bare '*', a '*' anywhere but as the first label, or a wildcard over a whole top-level domain ('https://*.com') cannot be trusted.`,
    );
  }
  return url.origin;
}

/** A wildcard pattern read into its parts, or `null` when `pattern` is not one. */
function readWildcard(pattern: unknown): Wildcard | null {
  if (typeof pattern !== 'string') return null;
  const parts = /^\s*(https?):\/\/\*\.(.+)$/i.exec(pattern);
  if (!parts) return null;
  const [, scheme, rest] = parts;
  const written = `${scheme}://wildcard.${rest}`;
  const url = rest.includes('*') ? null : parseHttpUrl(written);
  if (!url || !isBareOrigin(url, written) || url.hostname.startsWith('[')) return null;
  const suffix = url.hostname.slice('wildcard'.length);
  // `*.com` is as broad as `*`: a wildcard needs a domain of two labels or more below it.
  if (suffix.split('.').filter(Boolean).length < 2) return null;
  return { protocol: url.protocol, port: url.port, suffix };
}

function matchesWildcard(origin: string, wildcards: readonly Wildcard[]): boolean {
  const url = parseHttpUrl(origin);
  if (!url) return false;
  return wildcards.some(
    ({ protocol, port, suffix }) =>
      url.protocol === protocol &&
      url.port === port &&
      url.hostname.length > suffix.length &&
      url.hostname.endsWith(suffix),
  );
}

function parseHttpUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Nothing but scheme, host and port was written (a single trailing `/` is allowed). */
function isBareOrigin(url: URL, written: string): boolean {
  return (
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !/[?#]/.test(written) &&
    !/^\s*[^:]+:\/\/[^/]*\/\S/.test(written)
  );
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}

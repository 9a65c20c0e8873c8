/**
 * Trusted origins as users write them: exact origins (`'https://api.example.com'`,
 * `'http://127.0.0.1:8080'`) and subdomain wildcards (`'https://*.example.com'`). A wildcard
 * matches one label or more below the domain (`a.example.com`, `a.b.example.com`), never the
 * domain itself, on the same scheme and port; the domain needs two labels at least (`*.com` is
 * refused). Public suffixes such as `co.uk` or `github.io` are not known here: do not put a
 * wildcard over them. Shared by `attachOAuth2`'s `allowedOrigins` and the
 * frame's `platformOrigins`.
 */

const examples = "such as 'https://api.example.com' or 'https://*.example.com'";

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
    throw new TypeError(`${option} must be an array of origins ${examples}.`);
  }
  const exact = new Set<string>();
  const wildcards: Wildcard[] = [];
  for (const pattern of patterns as unknown[]) {
    const text = typeof pattern === 'string' ? pattern : '';
    // A wildcard is read as the origin it would be with a first label in place of the `*`.
    const wildcard = /^\s*(https?):\/\/\*\.(.+)$/i.exec(text);
    const written = wildcard ? `${wildcard[1]}://wildcard.${wildcard[2]}` : text;
    const url = written.includes('*') ? null : parseHttpUrl(written);
    const suffix = url?.hostname.slice('wildcard'.length) ?? '';
    if (
      !url ||
      !isBareOrigin(url, written) ||
      // `*.com` is as broad as `*`: a wildcard needs a domain of two labels or more below it.
      (wildcard && (url.hostname.startsWith('[') || suffix.split('.').filter(Boolean).length < 2))
    ) {
      throw new TypeError(
        `${option} holds ${describe(pattern)}, not an origin: write scheme, host and port only, ${examples}; no path, query, credentials, bare '*', inner '*' or '*.tld'.`,
      );
    }
    if (wildcard) wildcards.push({ protocol: url.protocol, port: url.port, suffix });
    else exact.add(url.origin);
  }
  return (origin) =>
    exact.has(origin) || (wildcards.length > 0 && matchesWildcard(origin, wildcards));
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

/**
 * Nothing but scheme, host and port was written (a single trailing `/` is allowed). Without a
 * `?` or `#` written, the URL has no query or fragment.
 */
function isBareOrigin(url: URL, written: string): boolean {
  return (
    url.username + url.password === '' &&
    url.pathname === '/' &&
    !/[?#]/.test(written) &&
    !/^\s*[^:]+:\/\/[^/]*\/\S/.test(written)
  );
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `a ${typeof value}`;
}

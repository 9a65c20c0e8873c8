import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { originMatcher } from './origin-pattern';

/** axios's own test of an absolute URL: `scheme://` or `//` at the very start. */
const absoluteUrl = /^([a-z][a-z\d+\-.]*:)?\/\//i;
/**
 * A base URL whose authority the join cannot change: plain `http(s)://host[:port]`, then the end,
 * a path, a query or a fragment. Anything else (relative, whitespace, backslashes, userinfo) is
 * judged on the joined string itself.
 */
// Stryker disable next-line Regex: a shortcut only; the slow path resolves the same origin.
const plainAbsoluteBase = /^https?:\/\/[a-z\d.\-[\]:]+(?:[/?#]|$)/i;

/**
 * Decides which requests may carry the token, on the URL axios really sends: the request's
 * `baseURL` and `url` joined as axios joins them, resolved by the WHATWG URL parser as the
 * adapters resolve it (against the document's base URL in a browser). The token goes only when
 * that origin is the page's own (in a browser), the instance's `baseURL` origin, or matches
 * `allowedOrigins`. A URL that cannot be resolved gets no token.
 * @throws TypeError when `allowedOrigins` holds something that is not an origin pattern.
 */
export function createOriginPolicy(
  instance: AxiosInstance,
  allowedOrigins: unknown,
): (config: InternalAxiosRequestConfig) => boolean {
  const isAllowed = originMatcher(allowedOrigins, 'attachOAuth2 options.allowedOrigins');
  const baseOrigin = lastOrigin();
  const instanceBaseOrigin = lastOrigin();
  // axios's own join (its `combineURLs` differs between versions), for the bases the fast path
  // cannot judge.
  const join = (baseURL: string, url: string) =>
    resolveOrigin(instance.getUri({ baseURL, url, allowAbsoluteUrls: false }));
  const allows = (target: string | null) => {
    if (target === null) return false;
    const instanceBaseURL = instance.defaults.baseURL;
    return (
      target === globalThis.location?.origin ||
      (!!instanceBaseURL && target === instanceBaseOrigin(instanceBaseURL)) ||
      isAllowed(target)
    );
  };
  return (config) =>
    requestOrigins(config, (baseURL, url) =>
      plainAbsoluteBase.test(baseURL) ? baseOrigin(baseURL) : join(baseURL, url),
    ).every(allows);
}

/**
 * The origins a request may go to: one, or two when axios versions disagree. With an absolute
 * `url`, a `baseURL` and `allowAbsoluteUrls: false`, axios before 1.8.3 sends the absolute URL as
 * it is on some adapters; there, and for a falsy value that is not `false`, both must be allowed.
 * @param joinedOrigin - the origin of `url` joined onto `baseURL` as axios joins them
 */
export function requestOrigins(
  config: Pick<InternalAxiosRequestConfig, 'url' | 'baseURL' | 'allowAbsoluteUrls'>,
  joinedOrigin: (baseURL: string, url: string) => string | null,
): (string | null)[] {
  const url = config.url ?? '';
  const { baseURL } = config;
  if (!baseURL) return [resolveOrigin(url)];
  if (!absoluteUrl.test(url)) return [joinedOrigin(baseURL, url)];
  const { allowAbsoluteUrls } = config;
  if (allowAbsoluteUrls != false) return [resolveOrigin(url)];
  if (allowAbsoluteUrls === false && honoursAllowAbsoluteUrls) return [joinedOrigin(baseURL, url)];
  return [joinedOrigin(baseURL, url), resolveOrigin(url)];
}

/** From axios 1.8.3 on, every adapter joins an absolute URL onto `baseURL` when told to. */
const honoursAllowAbsoluteUrls = isAtLeast(axios.VERSION, [1, 8, 3]);

/** Whether a dotted version is at least `minimum`, compared part by part as numbers. */
export function isAtLeast(version: string, minimum: number[]): boolean {
  const parts = version.split('.').map((part) => parseInt(part, 10) || 0);
  for (const [index, wanted] of minimum.entries()) {
    const actual = parts[index] ?? 0;
    if (actual !== wanted) return actual > wanted;
  }
  return true;
}

/**
 * The origin the WHATWG URL parser resolves `url` to, as axios's adapters resolve it: against
 * the document's base URL (which a `<base href>` may move) in a browser, against nothing in Node.
 */
export function resolveOrigin(url: string): string | null {
  try {
    const base = globalThis.document?.baseURI ?? globalThis.location?.href;
    const origin = new URL(url, base).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** The happy path asks for the same base URL on every request: remember the last answer. */
function lastOrigin(): (url: string) => string | null {
  let lastUrl: string | undefined;
  let last: string | null = null;
  return (url) => {
    // Stryker disable next-line ConditionalExpression: a cache; without it the same origin is computed.
    if (url !== lastUrl) {
      last = resolveOrigin(url);
      lastUrl = url;
    }
    return last;
  };
}

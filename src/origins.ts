import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { originMatcher } from './origin-pattern';

/** axios's own test of an absolute URL: `scheme://` or `//` at the very start. */
const absoluteUrl = /^([a-z][a-z\d+\-.]*:)?\/\//i;
/** `allowAbsoluteUrls` exists from axios 1.8 on; older versions send absolute URLs as they are. */
const honoursAllowAbsoluteUrls = isAtLeast(axios.VERSION, [1, 8]);

/**
 * Decides which requests may carry the token, on the URL axios really sends: the request's
 * `baseURL` and `url` combined as axios combines them, resolved by the WHATWG URL parser as the
 * adapters resolve it (against `location.href` in a browser). The token goes only when that
 * origin is the page's own (in a browser), the instance's `baseURL` origin, or matches
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
  return (config) => {
    const target = requestOrigin(config, baseOrigin);
    if (target === null) return false;
    const instanceBaseURL = instance.defaults.baseURL;
    return (
      target === pageOrigin() ||
      (!!instanceBaseURL && target === instanceBaseOrigin(instanceBaseURL)) ||
      isAllowed(target)
    );
  };
}

/**
 * The origin a request goes to, or `null` when it cannot be resolved. A URL joined onto `baseURL`
 * keeps the origin of `baseURL` itself, whatever it holds: the join puts a `/` after the base, which
 * ends its authority. So only the base is resolved, once for each base.
 */
export function requestOrigin(
  config: Pick<InternalAxiosRequestConfig, 'url' | 'baseURL' | 'allowAbsoluteUrls'>,
  baseOrigin: (url: string) => string | null = resolveOrigin,
): string | null {
  const url = config.url ?? '';
  const joined =
    !absoluteUrl.test(url) || (honoursAllowAbsoluteUrls && config.allowAbsoluteUrls === false);
  if (config.baseURL && joined) return baseOrigin(config.baseURL);
  return resolveOrigin(url);
}

/** The origin the WHATWG URL parser resolves `url` to, as axios's adapters resolve it. */
export function resolveOrigin(url: string): string | null {
  try {
    const origin = new URL(url, globalThis.location?.href).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function pageOrigin(): string | undefined {
  const origin = globalThis.location?.origin;
  return typeof origin === 'string' && origin !== 'null' ? origin : undefined;
}

/** The happy path asks for the same base URL on every request: remember the last answer. */
function lastOrigin(): (url: string) => string | null {
  let lastUrl: string | undefined;
  let last: string | null = null;
  return (url) => {
    if (url !== lastUrl) {
      last = resolveOrigin(url);
      lastUrl = url;
    }
    return last;
  };
}

function isAtLeast(version: string | undefined, [major, minor]: [number, number]): boolean {
  const [actualMajor = 0, actualMinor = 0] = String(version ?? '')
    .split('.')
    .map(Number);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

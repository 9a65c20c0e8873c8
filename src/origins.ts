import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';

const absoluteUrl = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * Decides which requests may carry the token: relative URLs (same origin as the app), the
 * instance's `baseURL` origin, and `allowedOrigins`. Everything else, including a per-request
 * `baseURL` that points elsewhere, goes without it.
 */
export function createOriginPolicy(
  instance: AxiosInstance,
  allowedOrigins: readonly string[],
): (config: InternalAxiosRequestConfig) => boolean {
  if (!Array.isArray(allowedOrigins)) {
    throw new TypeError(
      "attachOAuth2 options.allowedOrigins must be an array of origins such as 'https://api.example.com'.",
    );
  }
  const allowed = new Set(allowedOrigins.map(toAllowedOrigin));
  const originOf = memoizedOrigin();
  return (config) => {
    const target = targetOrigin(config, originOf);
    if (target === undefined) return true;
    if (target === null) return false;
    const baseURL = instance.defaults.baseURL;
    return allowed.has(target) || (!!baseURL && target === originOf(baseURL));
  };
}

/** The origin a request goes to, `undefined` when it is relative to the app's own, `null` when unreadable. */
function targetOrigin(
  config: InternalAxiosRequestConfig,
  originOf: (url: string) => string | null,
): string | null | undefined {
  const url = config.url ?? '';
  if (absoluteUrl.test(url) && config.allowAbsoluteUrls !== false) return originOf(url);
  const baseURL = config.baseURL;
  return baseURL && absoluteUrl.test(baseURL) ? originOf(baseURL) : undefined;
}

/** The happy path asks for the same baseURL on every request: remember the last answer. */
function memoizedOrigin(): (url: string) => string | null {
  let lastUrl = '';
  let lastOrigin: string | null = null;
  return (url) => {
    if (url !== lastUrl) {
      lastOrigin = readOrigin(url);
      lastUrl = url;
    }
    return lastOrigin;
  };
}

function readOrigin(url: string): string | null {
  try {
    const origin = new URL(url, globalThis.location?.href ?? 'https://localhost/').origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function toAllowedOrigin(origin: unknown): string {
  const read = typeof origin === 'string' && absoluteUrl.test(origin) ? readOrigin(origin) : null;
  if (read === null) {
    throw new TypeError(
      `attachOAuth2 options.allowedOrigins holds ${JSON.stringify(origin)}, which is not an origin; write it as 'https://api.example.com'.`,
    );
  }
  return read;
}

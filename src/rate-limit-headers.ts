import { parseLifetimeSeconds } from './expiry';
import type { ServerLimits } from './rate-limiter';

/** Reads one response header by name, case-insensitively. */
export type HeaderReader = (name: string) => unknown;

const names = new Set([
  'retry-after',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
]);

/**
 * The rate-limit headers of a response's headers (a plain object or axios's `AxiosHeaders`), by
 * lower-case name, read in one pass; `undefined` when there are none (most responses).
 */
export function rateLimitHeaders(headers: unknown): HeaderReader | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  let found: Map<string, unknown> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (names.has(lower)) (found ??= new Map()).set(lower, value);
  }
  return found && ((name) => found.get(name));
}

/**
 * What the server said about its limit: `Retry-After` (seconds or an HTTP date), and
 * `RateLimit-Remaining` / `RateLimit-Reset` (IETF draft: seconds until the reset) or their
 * `X-RateLimit-*` forms (the reset in seconds until it, or as epoch seconds).
 */
export function readServerLimits(header: HeaderReader, now = Date.now()): ServerLimits {
  const limits: ServerLimits = {};
  const remaining = integer(header('ratelimit-remaining') ?? header('x-ratelimit-remaining'));
  if (remaining !== undefined) limits.remaining = remaining;
  const reset = number(header('ratelimit-reset') ?? header('x-ratelimit-reset'));
  // Epoch milliseconds are past 10¹², epoch seconds past 10⁹; a delay until the reset is smaller.
  if (reset !== undefined) {
    limits.resetAt = reset > 1e12 ? reset : reset > 1e9 ? reset * 1000 : now + reset * 1000;
  }
  const retryAfterMs = readRetryAfter(header('retry-after'), now);
  if (retryAfterMs !== undefined) limits.retryAfterMs = retryAfterMs;
  return limits;
}

/** `Retry-After` in ms: a number of seconds, or an HTTP date (a past one is 0). */
export function readRetryAfter(value: unknown, now = Date.now()): number | undefined {
  const text = first(value);
  if (text === undefined) return undefined;
  const seconds = number(text);
  if (seconds !== undefined) return seconds * 1000;
  if (!httpDate.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The three forms of an HTTP date (RFC 9110): IMF-fixdate, RFC 850 and asctime. */
const httpDate =
  /^(?:[a-z]{3}, \d{2} [a-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT|[a-z]{6,9}, \d{2}-[a-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT|[a-z]{3} [a-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/i;

function first(value: unknown): string | undefined {
  const text = Array.isArray(value) ? (value[0] as unknown) : value;
  if (typeof text === 'number') return String(text);
  return typeof text === 'string' && text.trim() !== '' ? text.trim() : undefined;
}

/** A number of seconds (or a count), read as `expires_in` is. */
function number(value: unknown): number | undefined {
  return parseLifetimeSeconds(first(value));
}

function integer(value: unknown): number | undefined {
  const read = number(value);
  return read !== undefined && Number.isInteger(read) ? read : undefined;
}

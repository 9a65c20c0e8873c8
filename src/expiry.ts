/**
 * What an expiry may be given as: a `Date`, epoch milliseconds, ISO 8601, or the platform's
 * `YYYY-MM-DD HH:mm:ss`. A date-time string without an offset is read as UTC.
 */
export type ExpiryInput = Date | number | string;

const localDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/;
const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i;
/** Epoch milliseconds below this (March 1973) are almost surely seconds passed by mistake. */
const smallestPlausibleEpochMs = 1e11;

/**
 * Reads an expiry into a `Date`, or returns a sentence saying why it cannot.
 *
 * The platform sends `expires_at` as `2026-04-01 10:15:20` with no time zone. It is read as UTC:
 * the one reading that does not depend on the user's device, and a token that turns out to expire
 * earlier is still caught by the 401 it earns.
 */
export function parseExpiry(value: ExpiryInput): Date | string {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'it is an invalid Date' : new Date(value.getTime());
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'it is not a finite number';
    if (value < smallestPlausibleEpochMs) {
      return 'it looks like epoch seconds; pass epoch milliseconds';
    }
    return new Date(value);
  }
  if (typeof value !== 'string') return 'it is neither a Date, a number nor a string';
  const trimmed = value.trim();
  const parts = localDateTime.exec(trimmed);
  if (parts) {
    const [, year, month, day, hour, minute, second = '0', fraction = '0'] = parts;
    const date = new Date(
      Date.UTC(+year, +month - 1, +day, +hour, +minute, +second, +fraction.padEnd(3, '0')),
    );
    return date.getUTCDate() === +day ? date : 'it is not a calendar date';
  }
  if (hasOffset.test(trimmed)) {
    const time = Date.parse(trimmed);
    if (!Number.isNaN(time)) return new Date(time);
  }
  return "it is not ISO 8601 nor 'YYYY-MM-DD HH:mm:ss'";
}

/** Writes a date the way the platform sends `expires_at`: `YYYY-MM-DD HH:mm:ss`, in UTC. */
export function formatPlatformExpiry(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * What an expiry may be given as: a `Date`, epoch milliseconds, ISO 8601
 * (`2026-04-01T10:15:20Z`, `2026-04-01T13:15:20+03:00`), or the platform's
 * `YYYY-MM-DD HH:mm:ss`. A date-time without an offset is read as UTC.
 */
export type ExpiryInput = Date | number | string;

/** Date and time, optional seconds and fraction, optional offset; nothing else. */
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
/** Epoch milliseconds below this (March 1973) are almost surely seconds passed by mistake. */
const smallestPlausibleEpochMs = 1e11;

/**
 * Reads an expiry into a `Date`, or returns a sentence saying why it cannot. Strict: every
 * field is range-checked (`10:61:00` is refused, never rolled over to `11:01`) and no format
 * is left to the engine's `Date.parse`, whose extras differ between browsers.
 *
 * The platform sends `expires_at` as `2026-04-01 10:15:20` with no time zone. It is read as UTC:
 * the one reading that does not depend on the user's device. A reading that puts the expiry in
 * the past is caught where tokens arrive (see `normalizeRefreshResult`).
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
  const parts = isoDateTime.exec(value.trim());
  if (!parts) return "it is not ISO 8601 nor 'YYYY-MM-DD HH:mm:ss'";
  const [, year, month, day, hour, minute, second = '0', fraction = '0', offset] = parts;
  const fields = [+month, +day, +hour, +minute, +second];
  const offsetMinutes = readOffset(offset);
  if (offsetMinutes === null || !inRange(fields, [12, 31, 23, 59, 59], [1, 1, 0, 0, 0])) {
    return 'one of its fields is out of range';
  }
  const milliseconds = Math.floor(+fraction.padEnd(3, '0').slice(0, 3));
  const date = new Date(Date.UTC(2000, +month - 1, +day, +hour, +minute, +second, milliseconds));
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  date.setUTCFullYear(+year, +month - 1, +day);
  if (date.getUTCDate() !== +day) return 'it is not a calendar date';
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

/** Minutes east of UTC, `0` for none or `Z`, `null` when out of range. */
function readOffset(offset: string | undefined): number | null {
  if (!offset || offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = +digits.slice(0, 2);
  const minutes = +(digits.slice(2) || '0');
  return hours > 23 || minutes > 59 ? null : sign * (hours * 60 + minutes);
}

function inRange(values: number[], maxima: number[], minima: number[]): boolean {
  return values.every((value, index) => value >= minima[index] && value <= maxima[index]);
}

/**
 * Reads a lifetime in seconds (`expires_in`): a finite number, or a string of digits as many
 * OAuth2 servers send it. Returns `undefined` for anything else. Shared by the SDK and the
 * platform host so that both read the same values the same way.
 */
export function parseLifetimeSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Writes a date the way the platform sends `expires_at`: `YYYY-MM-DD HH:mm:ss`, in UTC. */
export function formatPlatformExpiry(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * What an expiry may be given as: a `Date`, epoch milliseconds, ISO 8601
 * (`2026-04-01T10:15:20Z`, `2026-04-01T13:15:20+03:00`), or the platform's
 * `YYYY-MM-DD HH:mm:ss`. A date-time without an offset is read as UTC.
 */
export type ExpiryInput = Date | number | string;

/** Date and time, optional seconds and fraction, optional offset (sign, hours, minutes); nothing else. */
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)?$/i;
/** Epoch milliseconds below this (March 1973) are almost surely seconds passed by mistake. */
const smallestPlausibleEpochMs = 1e11;

/**
 * Reads an expiry into a `Date`, or returns a few words saying why it cannot. Strict: every
 * field is range-checked (`10:61:00` is refused, never rolled over to `11:01`) and no format
 * is left to the engine's `Date.parse`, whose extras differ between browsers.
 *
 * The platform sends `expires_at` as `2026-04-01 10:15:20` with no time zone. It is read as UTC:
 * the one reading that does not depend on the user's device. A reading that puts the expiry in
 * the past is caught where tokens arrive (see `normalizeRefreshResult`).
 */
export function parseExpiry(value: ExpiryInput): Date | string {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'an invalid Date' : new Date(value.getTime());
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'not a finite number';
    if (value < smallestPlausibleEpochMs) return 'epoch seconds, not milliseconds';
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? 'beyond the range of a Date' : date;
  }
  if (typeof value !== 'string') return 'neither a Date, a number nor a string';
  const parts = isoDateTime.exec(value.trim());
  if (!parts) return 'an unknown format';
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction = '0',
    sign,
    offsetHours,
    offsetMinutes,
  ] = parts;
  // month, day, hour, minute, second, then the offset's hours and minutes
  const fields = [month, day, hour, minute, second, offsetHours, offsetMinutes].map(
    (field) => +(field ?? 0),
  );
  if (
    fields.some(
      (field, index) => field < +(index < 2) || field > [12, 31, 23, 59, 59, 23, 59][index],
    )
  ) {
    return 'a field out of range';
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(+year, fields[0] - 1, fields[1]);
  if (date.getUTCDate() !== fields[1]) return 'not a calendar date';
  // Hours and minutes beyond their range roll over, which moves the time by the offset.
  const east = sign === '-' ? -1 : 1;
  date.setUTCHours(
    fields[2] - east * fields[5],
    fields[3] - east * fields[6],
    fields[4],
    +(fraction + '00').slice(0, 3),
  );
  return date;
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

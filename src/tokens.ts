import { OAuth2RefreshError } from './errors';
import { parseExpiry, parseLifetimeSeconds, type ExpiryInput } from './expiry';

/** The tokens a refresh produced. */
export interface OAuth2RefreshResult {
  /** The new access token; never empty. */
  accessToken: string;
  /** The refresh token to use next: the new one, or the current one when none was returned. */
  refreshToken: string;
  /** When the access token expires; `null` when the issuer did not say. */
  expiresAt: Date | null;
}

/**
 * What a {@link OAuth2RefreshHandler} may resolve to: camelCase or the platform's snake_case.
 * `refreshToken` may be left out (or empty, as the platform sends it) when the issuer does not
 * rotate it; the current one is kept. An empty expiry means none was given, as in the platform's
 * protocol.
 * `expiresIn` / `expires_in` (seconds from now, a number or a string of digits) is read when no
 * absolute expiry is given.
 */
export interface OAuth2RefreshResultLike {
  /** The new access token, a non-empty string; required unless `access_token` is given. */
  accessToken?: string;
  /** The new refresh token; when it and `refresh_token` are left out or empty, the current one is kept. */
  refreshToken?: string;
  /** Access token expiry: `Date`, epoch ms, ISO 8601 or `YYYY-MM-DD HH:mm:ss`; no offset is UTC. */
  expiresAt?: ExpiryInput | null;
  /** Lifetime in seconds from now, a number or a string of digits; read when no expiry is given. */
  expiresIn?: number | string;
  /** Same as `accessToken`, in the platform's snake_case; `accessToken` wins when both are set. */
  access_token?: string;
  /** Same as `refreshToken`, in snake_case; when both are left out or empty, the current one is kept. */
  refresh_token?: string;
  /** Same as `expiresAt`, in snake_case, e.g. the platform's `2026-04-01 10:15:20` (UTC). */
  expires_at?: ExpiryInput | null;
  /** Same as `expiresIn`, in snake_case: seconds from now, a number or a string of digits. */
  expires_in?: number | string;
}

/**
 * Obtains new tokens. Inside a frame the platform bridge supplies it; elsewhere pass your own,
 * e.g. a call to your token endpoint. It must not send requests that wait for OAuth2 itself:
 * mark its requests through an attached instance with `skipOAuth2: true`.
 */
export type OAuth2RefreshHandler = (current: {
  refreshToken: string;
}) => Promise<OAuth2RefreshResultLike> | OAuth2RefreshResultLike;

/** Why the expiry that came with fresh tokens was set aside; see the `onExpiryDiscarded` event. */
export interface ExpiryDiscarded {
  /** The expiry as read from the refresh result; `null` when it could not be read. */
  expiresAt: Date | null;
  /** This device's clock when the tokens arrived. */
  receivedAt: Date;
  /**
   * `'past'`: already expired by this clock; `'too-far'`: more than a year ahead;
   * `'unreadable'`: not a date this SDK reads (see `ExpiryInput`), nor a number of seconds.
   */
  reason: 'past' | 'too-far' | 'unreadable';
}

/** An access token valid for longer than this is taken for a misread clock or time zone. */
const longestPlausibleLifetimeMs = 366 * 24 * 3_600_000;

/**
 * Checks a refresh handler's result and turns it into an {@link OAuth2RefreshResult}.
 * Throws {@link OAuth2RefreshError} when it cannot be used; values never appear in messages.
 *
 * Fresh tokens are never thrown away because of their expiry: one that is already past (or
 * absurdly far ahead) by this device's clock, or that cannot be read, is treated as unknown, so
 * the server's 401 says when the token is done, and it is returned in `discarded` to be reported.
 * The issuer may already have rotated the refresh token; losing the new one would log the user out.
 */
export function normalizeRefreshResult(
  raw: unknown,
  currentRefreshToken: string,
  now: number,
): { tokens: OAuth2RefreshResult; discarded: ExpiryDiscarded | null } {
  if (typeof raw !== 'object' || raw === null) invalid(`a ${raw === null ? 'null' : typeof raw}`);
  const result = raw as OAuth2RefreshResultLike;
  const accessToken = result.accessToken ?? result.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') invalid('no access token');
  // The platform sends '' for "not rotated": an empty refresh token is never one to keep.
  const refreshToken =
    given(result.refreshToken) ?? given(result.refresh_token) ?? currentRefreshToken;
  if (typeof refreshToken !== 'string') invalid('a refresh token that is not a string');

  // The expiry given, absolute or as a lifetime; a huge lifetime gives an invalid Date.
  let expiresAt: Date | null = null;
  let reason: ExpiryDiscarded['reason'] | undefined;
  const absolute = given(result.expiresAt) ?? given(result.expires_at);
  const lifetime = given(result.expiresIn) ?? given(result.expires_in);
  if (absolute !== undefined) {
    const parsed = parseExpiry(absolute);
    if (typeof parsed === 'string') reason = 'unreadable';
    else expiresAt = parsed;
  } else if (lifetime !== undefined) {
    const seconds = parseLifetimeSeconds(lifetime);
    if (seconds === undefined) reason = 'unreadable';
    else expiresAt = new Date(now + seconds * 1000);
  }
  const time = expiresAt?.getTime();
  if (time !== undefined) {
    // NaN (an invalid Date) fails the first test too.
    if (!(time - now <= longestPlausibleLifetimeMs)) reason = 'too-far';
    else if (time <= now) reason = 'past';
  }
  return reason
    ? {
        tokens: { accessToken, refreshToken, expiresAt: null },
        discarded: {
          expiresAt: Number.isNaN(time) ? null : expiresAt,
          receivedAt: new Date(now),
          reason,
        },
      }
    : { tokens: { accessToken, refreshToken, expiresAt }, discarded: null };
}

/** A field's value, or `undefined` when it is absent: missing, `null` or the platform's `''`. */
function given<T>(value: T | null | undefined): T | undefined {
  return value === null || value === '' ? undefined : value;
}

function invalid(reason: string): never {
  throw new OAuth2RefreshError(
    'INVALID_REFRESH_RESULT',
    `The refresh handler returned ${reason}; resolve to { accessToken, refreshToken?, expiresAt? } or snake_case.`,
  );
}

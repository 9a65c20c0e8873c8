import { OAuth2RefreshError } from './errors';
import { parseExpiry, parseLifetimeSeconds, type ExpiryInput } from './expiry';

/** The tokens a refresh produced. */
export interface OAuth2RefreshResult {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires; `null` when the issuer did not say. */
  expiresAt: Date | null;
}

/**
 * What a {@link OAuth2RefreshHandler} may resolve to: camelCase or the platform's snake_case.
 * `refreshToken` may be left out when the issuer does not rotate it; the current one is kept.
 * `expiresIn` / `expires_in` (seconds from now, a number or a string of digits) is read when no
 * absolute expiry is given.
 */
export interface OAuth2RefreshResultLike {
  accessToken?: string;
  refreshToken?: string;
  expiresAt?: ExpiryInput | null;
  expiresIn?: number | string;
  access_token?: string;
  refresh_token?: string;
  expires_at?: ExpiryInput | null;
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

function invalid(reason: string): OAuth2RefreshError {
  return new OAuth2RefreshError(
    'INVALID_REFRESH_RESULT',
    `The refresh handler returned ${reason}; resolve to { accessToken, refreshToken?, expiresAt? } or { access_token, refresh_token?, expires_at? }.`,
  );
}

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
  if (typeof raw !== 'object' || raw === null) throw invalid(`a ${typeOf(raw)}`);
  const result = raw as OAuth2RefreshResultLike;
  const accessToken = result.accessToken ?? result.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalid('no access token');
  }
  const refreshToken = result.refreshToken ?? result.refresh_token ?? currentRefreshToken;
  if (typeof refreshToken !== 'string') throw invalid('a refresh token that is not a string');

  const expiresAt = readExpiry(result, now);
  const reason = expiresAt === null ? null : implausibility(expiresAt, now);
  if (reason === null) {
    return {
      tokens: { accessToken, refreshToken, expiresAt: expiresAt as Date | null },
      discarded: null,
    };
  }
  const readable = expiresAt instanceof Date && !Number.isNaN(expiresAt.getTime());
  return {
    tokens: { accessToken, refreshToken, expiresAt: null },
    discarded: { expiresAt: readable ? expiresAt : null, receivedAt: new Date(now), reason },
  };
}

function implausibility(
  expiresAt: Date | 'unreadable',
  now: number,
): ExpiryDiscarded['reason'] | null {
  if (expiresAt === 'unreadable') return 'unreadable';
  const time = expiresAt.getTime();
  if (Number.isNaN(time)) return 'too-far';
  if (time <= now) return 'past';
  return time - now > longestPlausibleLifetimeMs ? 'too-far' : null;
}

/** The expiry a result gives, `null` when it gives none; a huge lifetime gives an invalid Date. */
function readExpiry(result: OAuth2RefreshResultLike, now: number): Date | 'unreadable' | null {
  const absolute = result.expiresAt ?? result.expires_at;
  if (absolute !== undefined && absolute !== null) {
    const parsed = parseExpiry(absolute);
    return typeof parsed === 'string' ? 'unreadable' : parsed;
  }
  const lifetime = result.expiresIn ?? result.expires_in;
  if (lifetime === undefined || lifetime === null) return null;
  const seconds = parseLifetimeSeconds(lifetime);
  return seconds === undefined ? 'unreadable' : new Date(now + seconds * 1000);
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

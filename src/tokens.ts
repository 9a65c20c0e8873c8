import { OAuth2RefreshError } from './errors';
import { parseExpiry, type ExpiryInput } from './expiry';

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
 * `expiresIn` / `expires_in` (seconds from now) is read when no absolute expiry is given.
 */
export interface OAuth2RefreshResultLike {
  accessToken?: string;
  refreshToken?: string;
  expiresAt?: ExpiryInput | null;
  expiresIn?: number;
  access_token?: string;
  refresh_token?: string;
  expires_at?: ExpiryInput | null;
  expires_in?: number;
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

/**
 * Checks a refresh handler's result and turns it into an {@link OAuth2RefreshResult}.
 * Throws {@link OAuth2RefreshError} when it cannot be used; values never appear in messages.
 */
export function normalizeRefreshResult(
  raw: unknown,
  currentRefreshToken: string,
  now: number,
): OAuth2RefreshResult {
  if (typeof raw !== 'object' || raw === null) throw invalid(`a ${typeOf(raw)}`);
  const result = raw as OAuth2RefreshResultLike;
  const accessToken = result.accessToken ?? result.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalid('no access token');
  }
  const refreshToken = result.refreshToken ?? result.refresh_token ?? currentRefreshToken;
  if (typeof refreshToken !== 'string') throw invalid('a refresh token that is not a string');

  const expiresAt = readExpiry(result, now);
  if (expiresAt !== null && expiresAt.getTime() <= now) {
    throw new OAuth2RefreshError(
      'EXPIRED_REFRESH_RESULT',
      `The refresh handler returned a token that expired at ${expiresAt.toISOString()}, before now by this device's clock; check the expiry it returns and the device clock.`,
    );
  }
  return { accessToken, refreshToken, expiresAt };
}

function readExpiry(result: OAuth2RefreshResultLike, now: number): Date | null {
  const absolute = result.expiresAt ?? result.expires_at;
  if (absolute !== undefined && absolute !== null) {
    const parsed = parseExpiry(absolute);
    if (typeof parsed === 'string') throw invalid(`an expiry that cannot be read: ${parsed}`);
    return parsed;
  }
  const seconds = result.expiresIn ?? result.expires_in;
  if (seconds === undefined) return null;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw invalid('an expires_in that is not a number of seconds');
  }
  return new Date(now + seconds * 1000);
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

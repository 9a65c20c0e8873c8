/**
 * Stable codes carried by every error of this SDK in its `code` property.
 * Branch on these (or on the classes) rather than on messages, which may be reworded.
 */
export type MiniAppErrorCode =
  | 'NOT_INITIALIZED'
  | 'NO_REFRESH_HANDLER'
  | 'REFRESH_FAILED'
  | 'REFRESH_TIMEOUT'
  | 'INVALID_REFRESH_RESULT'
  | 'DESTROYED'
  | 'BODY_NOT_REPLAYABLE'
  | 'PLATFORM_ERROR'
  | 'PLATFORM_TIMEOUT'
  | 'NO_TARGET_ORIGIN'
  | 'UNTRUSTED_PLATFORM'
  | 'NOT_IN_FRAME'
  | 'INVALID_CONTEXT'
  | 'UNSUPPORTED_BROWSER'
  | 'RATE_LIMITED';

/** Options accepted by every error constructor of this SDK. */
export interface MiniAppErrorOptions {
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

/**
 * Base class of every error this SDK throws or rejects with.
 * Messages never contain token values.
 */
export class MiniAppError extends Error {
  /** Always `'MiniAppError'`; survives minification, unlike the class name. */
  override readonly name: string = 'MiniAppError';
  /** Stable machine-readable code. */
  readonly code: MiniAppErrorCode;

  constructor(code: MiniAppErrorCode, message: string, options: MiniAppErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
  }
}

/** Base class of the errors raised by {@link OAuth2}. */
export class OAuth2Error extends MiniAppError {
  /** Always `'OAuth2Error'`; survives minification, unlike the class name. */
  override readonly name: string = 'OAuth2Error';
}

/** Thrown by `OAuth2.getInstance()` before `OAuth2.initialize()` or `App.initializeFrame()` ran. */
export class OAuth2NotInitializedError extends OAuth2Error {
  /** Always `'OAuth2NotInitializedError'`; survives minification, unlike the class name. */
  override readonly name: string = 'OAuth2NotInitializedError';

  constructor() {
    super(
      'NOT_INITIALIZED',
      'OAuth2 is not initialized: call OAuth2.initialize(), or await App.initializeFrame(), first.',
    );
  }
}

/**
 * A token refresh failed. The tokens held before the refresh are kept.
 * `code` tells why; `cause` holds what the refresh handler or the platform threw.
 */
export class OAuth2RefreshError extends OAuth2Error {
  /** Always `'OAuth2RefreshError'`; survives minification, unlike the class name. */
  override readonly name: string = 'OAuth2RefreshError';
}

/** The platform answered a bridge request with an error. */
export class PlatformError extends MiniAppError {
  /** Always `'PlatformError'`; survives minification, unlike the class name. */
  override readonly name: string = 'PlatformError';
  /** The error code the platform sent, e.g. `'refresh_denied'`. */
  readonly platformCode: string;

  constructor(platformCode: string, message: string, options: MiniAppErrorOptions = {}) {
    super('PLATFORM_ERROR', message, options);
    this.platformCode = platformCode;
  }
}

/** The platform did not answer a bridge request in time. */
export class PlatformTimeoutError extends MiniAppError {
  /** Always `'PlatformTimeoutError'`; survives minification, unlike the class name. */
  override readonly name: string = 'PlatformTimeoutError';
}

/**
 * The mini-app could not start its frame: not embedded, the platform's origin is unknown, or the
 * embedding page is not a trusted platform (`UNTRUSTED_PLATFORM`).
 */
export class FrameInitializationError extends MiniAppError {
  /** Always `'FrameInitializationError'`; survives minification, unlike the class name. */
  override readonly name: string = 'FrameInitializationError';
}

/** Options of {@link RateLimitError}. */
export interface RateLimitErrorOptions extends MiniAppErrorOptions {
  /** How long the server asked to wait, ms; `null` when it did not say. */
  retryAfterMs?: number | null;
}

/**
 * A request the rate limiter could not send: `RATE_LIMITED` when the server kept answering 429
 * (after `maxRetries`, or asking to wait longer than `maxRetryAfterMs`), the 429 as `cause`;
 * `DESTROYED` when the limiter was destroyed while the request waited; `NOT_INITIALIZED` from
 * `RateLimiter.getInstance()` before there is one.
 */
export class RateLimitError extends MiniAppError {
  /** Always `'RateLimitError'`; survives minification, unlike the class name. */
  override readonly name: string = 'RateLimitError';
  /** How long the server asked to wait, ms; `null` when it did not say. */
  readonly retryAfterMs: number | null;

  constructor(code: MiniAppErrorCode, message: string, options: RateLimitErrorOptions = {}) {
    super(code, message, options);
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/** The `name` of every error class above. */
const names =
  /^(MiniApp|OAuth2(NotInitialized|Refresh)?|Platform(Timeout)?|FrameInitialization|RateLimit)Error$/;

/**
 * Tells whether `value` is an error of this SDK. Compares `name` too, because errors created in
 * another frame or by another copy of the SDK fail `instanceof`.
 */
export function isMiniAppError(value: unknown): value is MiniAppError {
  if (value instanceof MiniAppError) return true;
  return (
    value instanceof Error &&
    typeof value.name === 'string' &&
    names.test(value.name) &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Tells whether `value` is an {@link OAuth2RefreshError}, across frames too. */
export function isOAuth2RefreshError(value: unknown): value is OAuth2RefreshError {
  return isMiniAppError(value) && value.name === 'OAuth2RefreshError';
}

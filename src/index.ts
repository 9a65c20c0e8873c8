/**
 * The mini-app side: the {@link OAuth2} token manager, {@link attachOAuth2} for any axios
 * instance, and {@link App.initializeFrame} inside the platform.
 *
 * @packageDocumentation
 * @module @aspro-cloud/miniapp-jssdk
 */
export { OAuth2 } from './oauth2';
export type { OAuth2Params } from './oauth2';
export { attachOAuth2, defaultShouldRefresh } from './attach';
export { attachRateLimiter } from './attach-rate-limiter';
export type { AttachRateLimiterOptions } from './attach-rate-limiter';
export { RateLimiter } from './rate-limiter';
export type { RateLimiterParams } from './rate-limiter';
export { App, Frame } from './frame/frame';
export type { FrameEventName, FrameParams } from './frame/frame';
export { Rest } from './frame/rest';
export type { RestCallParams, RestGetParams } from './frame/rest';
export type { AuthContext, FrameContext } from './protocol';
export type { AttachOAuth2Options } from './attach';
export type {
  ExpiryDiscarded,
  OAuth2RefreshHandler,
  OAuth2RefreshResult,
  OAuth2RefreshResultLike,
} from './tokens';
export type { ExpiryInput } from './expiry';
export type { EventCallbacks, EventPayloads, FrameReadyPayload, OAuth2EventName } from './events';
export {
  MiniAppError,
  OAuth2Error,
  OAuth2NotInitializedError,
  OAuth2RefreshError,
  PlatformError,
  PlatformTimeoutError,
  FrameInitializationError,
  RateLimitError,
  isMiniAppError,
  isOAuth2RefreshError,
} from './errors';
export type { MiniAppErrorCode, MiniAppErrorOptions, RateLimitErrorOptions } from './errors';

/**
 * The platform page's side: {@link createPlatformHost} answers a mini-app iframe.
 *
 * @packageDocumentation
 * @module @aspro-cloud/miniapp-jssdk/platform
 */
export { createPlatformHost } from './platform/host';
export type { PlatformHost, PlatformHostOptions, PlatformRefreshResult } from './platform/host';
export type { AuthContext, FrameContext } from './protocol';

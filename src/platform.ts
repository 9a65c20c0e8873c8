export { createPlatformHost } from './platform/host';
export type { PlatformHost, PlatformHostOptions, PlatformRefreshResult } from './platform/host';
export type { AuthContext, FrameContext } from './protocol';

import type { OAuth2RefreshError } from './errors';
import type { ExpiryDiscarded, OAuth2RefreshResult } from './tokens';

/**
 * The payload each event of this SDK passes to its handler.
 * Extended by the frame module with its own events.
 */
export interface EventPayloads {
  /** Tokens were refreshed; the new values. */
  onRefresh: OAuth2RefreshResult;
  /** A refresh failed; the old tokens are kept. */
  onRefreshError: OAuth2RefreshError;
  /**
   * Fresh tokens came with an expiry that this device's clock reads as already past or more
   * than a year ahead (a wrong clock, or an `expires_at` written in another time zone). The
   * tokens are kept and their expiry treated as unknown: the server's 401 tells when they are done.
   */
  onExpiryDiscarded: ExpiryDiscarded;
  /** The frame received its context from the platform. */
  onReady: FrameReadyPayload;
}

/** What `onReady` receives. */
export interface FrameReadyPayload {
  /** The account domain the mini-app runs for. */
  domain: string;
}

/** Events of {@link OAuth2}. */
export type OAuth2EventName = 'onRefresh' | 'onRefreshError' | 'onExpiryDiscarded';

/** Handlers keyed by event name, each optional: `{ onRefresh: (data) => … }`. */
export type EventCallbacks<Name extends keyof EventPayloads> = {
  [K in Name]?: (data: EventPayloads[K]) => void;
};

/**
 * Calls the handler for `name`, if any. A handler that throws or rejects is reported with
 * `console.error` and never reaches the caller: a user's logging bug must not fail a refresh.
 */
export function emit<Name extends keyof EventPayloads>(
  callbacks: EventCallbacks<Name>,
  name: Name,
  data: EventPayloads[Name],
): void {
  const handler = callbacks[name];
  if (typeof handler !== 'function') return;
  const report = (error: unknown) =>
    console.error(`[miniapp-jssdk] the ${name} event handler threw:`, error);
  try {
    const returned: unknown = handler(data);
    if (returned instanceof Promise) returned.catch(report);
  } catch (error) {
    report(error);
  }
}

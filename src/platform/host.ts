import {
  formatPlatformExpiry,
  parseExpiry,
  parseLifetimeSeconds,
  type ExpiryInput,
} from '../expiry';
import { httpOrigin } from '../http-origin';
import {
  createFailure,
  createResult,
  readAuth,
  readRequest,
  type AuthContext,
  type BridgeRequest,
  type FrameContext,
} from '../protocol';

/** What the platform's `refresh` callback may resolve to. */
export interface PlatformRefreshResult {
  /** The new access token. */
  access_token: string;
  /** Left out when the refresh token does not rotate. */
  refresh_token?: string;
  /**
   * Absolute expiry; a string without offset is read as UTC. One that cannot be read is sent
   * as unknown rather than refusing the tokens, whose refresh token may already be rotated.
   */
  expires_at?: ExpiryInput;
  /**
   * Lifetime in seconds, a number or a string of digits, as OAuth2 servers send it; used when
   * `expires_at` is absent. Read exactly as the mini-app SDK reads it.
   */
  expires_in?: number | string;
}

/** Options of {@link createPlatformHost}. */
export interface PlatformHostOptions {
  /** The iframe that runs the mini-app. */
  iframe: {
    /** The mini-app's window; `null` while the iframe is not in the document. */
    readonly contentWindow: MessageEventSource | Window | null;
  };
  /** The mini-app's exact origin, such as `'https://app.example.com'`; never `'*'`. */
  origin: string;
  /** The context to hand over, or a function producing it (called at each handshake). */
  context: FrameContext | (() => FrameContext | Promise<FrameContext>);
  /** Obtains new tokens for the mini-app. Throw (optionally with a string `code`) to refuse. */
  refresh(request: {
    refreshToken: string;
  }): Promise<PlatformRefreshResult> | PlatformRefreshResult;
  /** @internal The platform window; tests pass a stand-in. */
  window?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
}

/** A running platform host. */
export interface PlatformHost {
  /** Stops answering the iframe. */
  destroy(): void;
}

/**
 * Refreshes on this page, by mini-app origin and refresh token: every host asked for the same
 * refresh while it runs, or within {@link reuseIntervalMs} of its success, hands out its
 * outcome, so a frame that asks a moment late does not spend a refresh token already rotated.
 */
const refreshes = new Map<string, { outcome: Promise<AuthContext>; until: number }>();
const reuseIntervalMs = 10_000;

/**
 * Answers one mini-app iframe's requests on the platform page: the context handshake and token
 * refreshes. Only messages from that iframe's window and exact origin, in the protocol's shape,
 * are answered; answers are posted to that origin only.
 *
 * Create one host per iframe. Every iframe of the same origin that asks to refresh the same
 * refresh token while that refresh runs, or up to 10 s after it succeeded, gets its outcome:
 * `refresh` is called once per refresh token, however many frames ask and whether or not they
 * coordinate among themselves. A refused refresh is not kept: the next request asks again.
 *
 * @example
 * ```ts
 * import { createPlatformHost } from '@aspro-cloud/miniapp-jssdk/platform';
 * const host = createPlatformHost({
 *   iframe: document.querySelector('iframe')!,
 *   origin: 'https://app.example.com',
 *   context: () => buildContext(), // the FrameContext, fresh at each handshake
 *   // Resolve to the token endpoint's body, not to the axios response around it.
 *   refresh: async ({ refreshToken }) =>
 *     (await api.post('/oauth/token', { refresh_token: refreshToken })).data,
 * });
 * ```
 * @throws TypeError naming the option that is wrong.
 */
export function createPlatformHost(options: PlatformHostOptions): PlatformHost {
  const { iframe, origin, context, refresh } = options;
  const win = options.window ?? globalThis.window;
  if (!iframe || typeof iframe !== 'object') {
    throw new TypeError('createPlatformHost options.iframe must be the mini-app iframe element.');
  }
  if (typeof origin !== 'string' || origin === '*' || httpOrigin(origin) !== origin) {
    throw new TypeError(
      `createPlatformHost options.origin must be the mini-app's exact origin, such as 'https://app.example.com'; got ${JSON.stringify(origin)}.`,
    );
  }
  if (typeof refresh !== 'function') {
    throw new TypeError(
      'createPlatformHost options.refresh must be a function returning new tokens.',
    );
  }

  const refreshOnce = async (refreshToken: string): Promise<AuthContext> => {
    const auth = toAuthContext(await refresh({ refreshToken }));
    if (!auth)
      throw Object.assign(
        new Error('the refresh produced no access token or an unreadable expiry'),
        { code: 'invalid_refresh_result' },
      );
    return auth;
  };

  const answer = (request: BridgeRequest): Promise<unknown> => {
    if (request.method === 'context') {
      return Promise.resolve().then(() => (typeof context === 'function' ? context() : context));
    }
    const refreshToken = request.params.refresh_token ?? '';
    const key = JSON.stringify([origin, refreshToken]);
    const now = Date.now();
    for (const [other, { until }] of refreshes) if (until <= now) refreshes.delete(other);
    const known = refreshes.get(key);
    if (known) return known.outcome;
    const entry = { outcome: refreshOnce(refreshToken), until: Infinity };
    refreshes.set(key, entry);
    entry.outcome.then(
      () => (entry.until = Date.now() + reuseIntervalMs),
      () => refreshes.get(key) === entry && refreshes.delete(key),
    );
    return entry.outcome;
  };

  const onMessage = (event: MessageEvent) => {
    const target = iframe.contentWindow;
    if (!target || event.source !== target || event.origin !== origin) return;
    const request = readRequest(event.data);
    if (!request) return;
    answer(request).then(
      (result) => target.postMessage(createResult(request.id, result), { targetOrigin: origin }),
      (error: unknown) => {
        const { code, message } = describe(error);
        target.postMessage(createFailure(request.id, code, message), { targetOrigin: origin });
      },
    );
  };
  win.addEventListener('message', onMessage);
  return { destroy: () => win.removeEventListener('message', onMessage) };
}

function toAuthContext(result: PlatformRefreshResult): AuthContext | null {
  if (typeof result !== 'object' || result === null) return null;
  let expiresAt: Date | null = null;
  // Empty means not given, as the SDK reads it; then the lifetime counts.
  if (result.expires_at != null && result.expires_at !== '') {
    const parsed = parseExpiry(result.expires_at);
    expiresAt = typeof parsed === 'string' ? null : parsed;
  } else {
    const seconds = parseLifetimeSeconds(result.expires_in);
    expiresAt = seconds === undefined ? null : new Date(Date.now() + seconds * 1000);
  }
  const readable = expiresAt !== null && Number.isFinite(expiresAt.getTime());
  return readAuth({
    access_token: result.access_token,
    refresh_token: result.refresh_token ?? '',
    expires_at: readable ? formatPlatformExpiry(expiresAt as Date) : '',
  });
}

function describe(error: unknown): { code: string; message: string } {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : 'the platform could not answer';
  return { code: typeof code === 'string' && code !== '' ? code : 'refresh_failed', message };
}

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

/** One refresh, shared by the frames that ask for it. */
interface SharedRefresh {
  outcome: Promise<AuthContext>;
  /**
   * Until when a frame asking gets this outcome: while it runs, the last moment to join it; once
   * it succeeded, the last moment to be handed it.
   */
  until: number;
  running: boolean;
  /** The refresh handed out a new refresh token: the one asked with is spent. */
  rotated: boolean;
  /**
   * The frames that asked. One that asks again with a refresh token that did not rotate wants
   * newer tokens; with one that rotated, it missed the answer (its wait ended first).
   */
  askedBy: WeakSet<object>;
}

/**
 * Refreshes on each platform page, by mini-app origin and refresh token: a host asked for a
 * refresh while the same one runs (for {@link longestSharedRunMs} at most), or within
 * {@link reuseIntervalMs} of its success, hands out its outcome, so a frame that asks a moment
 * late does not spend a refresh token already rotated.
 */
const refreshesByPage = new WeakMap<object, Map<string, SharedRefresh>>();
const reuseIntervalMs = 10_000;
/** A refresh still running after this is not joined: the next request calls `refresh` again. */
const longestSharedRunMs = 30_000;

/**
 * Answers one mini-app iframe's requests on the platform page: the context handshake and token
 * refreshes. Only messages from that iframe's window and exact origin, in the protocol's shape,
 * are answered; answers are posted to that origin only.
 *
 * Create one host per iframe. Hosts on one page share refreshes: every iframe of the same origin
 * that asks to refresh the same refresh token while that refresh runs, or up to 10 s after it
 * succeeded, gets its outcome, so `refresh` is called once per refresh token however many frames
 * ask, whether or not they coordinate among themselves. A frame that asks again with a refresh
 * token that did not rotate gets a new refresh (with one that rotated, it missed the answer and
 * gets it again), as does any request after a refused one, or after 30 s of a refresh that has
 * not settled. Without a refresh token nothing is shared.
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

  const page = refreshesByPage.get(win) ?? new Map<string, SharedRefresh>();
  refreshesByPage.set(win, page);

  const sharedRefresh = (frame: object, refreshToken: string): Promise<AuthContext> => {
    // No refresh token names no session: the platform refreshes by its own, which may differ
    // between mini-apps of one origin.
    if (!refreshToken) return refreshOnce(refreshToken);
    const key = JSON.stringify([origin, refreshToken]);
    const now = Date.now();
    for (const [other, { until }] of page) if (until <= now) page.delete(other);
    const known = page.get(key);
    if (known && (known.running || known.rotated || !known.askedBy.has(frame))) {
      known.askedBy.add(frame);
      return known.outcome;
    }
    const entry: SharedRefresh = {
      outcome: refreshOnce(refreshToken),
      until: now + longestSharedRunMs,
      running: true,
      rotated: false,
      askedBy: new WeakSet([frame]),
    };
    page.set(key, entry);
    entry.outcome.then(
      (auth) =>
        Object.assign(entry, {
          until: Date.now() + reuseIntervalMs,
          running: false,
          rotated: auth.refresh_token !== '' && auth.refresh_token !== refreshToken,
        }),
      () => page.get(key) === entry && page.delete(key),
    );
    return entry.outcome;
  };

  const answer = (frame: object, request: BridgeRequest): Promise<unknown> => {
    if (request.method === 'refresh') {
      return sharedRefresh(frame, request.params.refresh_token ?? '');
    }
    return Promise.resolve().then(() => (typeof context === 'function' ? context() : context));
  };

  const onMessage = (event: MessageEvent) => {
    const target = iframe.contentWindow;
    if (!target || event.source !== target || event.origin !== origin) return;
    const request = readRequest(event.data);
    if (!request) return;
    answer(target, request).then(
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

import { FrameInitializationError } from '../errors';
import { emit, type EventCallbacks } from '../events';
import { formatPlatformExpiry } from '../expiry';
import { OAuth2 } from '../oauth2';
import { originMatcher } from '../origin-pattern';
import { readContext, type FrameContext } from '../protocol';
import { RateLimiter } from '../rate-limiter';
import { singletons } from '../shared';
import { createBridge, type Bridge, type BridgeWindow } from './bridge';
import { Rest } from './rest';
import { resolveTargetOrigin, type OriginSources } from './target-origin';

/** Events of {@link Frame}. */
export type FrameEventName = 'onReady';

/** What the frame needs of `window`. */
export type FrameWindow = BridgeWindow & OriginSources;

/** Parameters of `App.initializeFrame()` and `Frame.initialize()`. */
export interface FrameParams {
  /**
   * The platform window's exact origin. Found automatically from `document.referrer` or
   * `location.ancestorOrigins` when left out.
   */
  targetOrigin?: string;
  /**
   * The origins a platform may have: the platform origin found (or given as `targetOrigin`)
   * must match one, or `initializeFrame()` rejects before any message is sent. Exact origins and
   * subdomain wildcards (`'https://*.example.com'`: one label or more, not the domain itself).
   * Add your platform's custom domain here.
   * @default App.platformOrigins: the vendor's `https://aspro.cloud` and `https://*.aspro.cloud`
   */
  platformOrigins?: readonly string[];
  /**
   * Base URL of the REST API.
   * @default `${https ? 'https' : 'http'}://${domain}/api/v1`, from the platform's context
   */
  apiBaseURL?: string;
  /**
   * How long to wait for each answer from the platform. The handshake then fails with
   * `PlatformTimeoutError`; a refresh fails its callers with `OAuth2RefreshError`
   * `REFRESH_TIMEOUT`, and its answer is still awaited as long again: tokens that arrive then
   * are adopted, as the platform may already have rotated the refresh token.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Frames and tabs of this mini-app for the same account refresh their token once for all
   * (keyed by the context's app id, account id and domain; see `OAuth2Params.coordinationKey`).
   * `false` makes this frame refresh on its own.
   * @default true
   */
  coordinateRefresh?: boolean;
  /** `onReady` fires once the context has been received. */
  events?: EventCallbacks<FrameEventName>;
  /** @internal The window to run in; tests pass a stand-in. */
  window?: FrameWindow;
}

const defaultTimeoutMs = 10_000;

/**
 * The mini-app inside the platform's iframe. A singleton: `await App.initializeFrame()` creates it
 * once and resolves to the same frame afterwards.
 */
export class Frame {
  /** The platform window's origin; every message goes there and only there. */
  readonly targetOrigin: string;
  /** The REST client, with OAuth2 attached. */
  readonly rest: Rest;
  private readonly context: FrameContext;
  private readonly bridge: Bridge;
  private callbacks: EventCallbacks<FrameEventName>;

  private constructor(targetOrigin: string, context: FrameContext, bridge: Bridge, rest: Rest) {
    this.targetOrigin = targetOrigin;
    this.context = context;
    this.bridge = bridge;
    this.rest = rest;
    this.callbacks = {};
  }

  /**
   * Initializes the frame: receives the context from the platform, initializes {@link OAuth2}
   * with its tokens and the platform as refresh handler, and creates {@link Rest}.
   * A second call resolves to the same frame.
   * @throws {@link FrameInitializationError} outside an iframe, when the platform's origin is
   * unknown, or when the context is malformed; {@link PlatformTimeoutError} when the platform
   * does not answer.
   */
  static initialize(params: FrameParams = {}): Promise<Frame> {
    const shared = singletons();
    if (shared.frame) return Promise.resolve(shared.frame);
    return (shared.startingFrame ??= Frame.start(params).finally(() => {
      shared.startingFrame = null;
    }));
  }

  /**
   * The initialized frame.
   * @throws {@link FrameInitializationError} before `initialize()` resolved.
   */
  static getInstance(): Frame {
    const { frame } = singletons();
    if (!frame) {
      throw new FrameInitializationError(
        'NOT_INITIALIZED',
        'The frame is not initialized: await App.initializeFrame() first.',
      );
    }
    return frame;
  }

  private static async start(params: FrameParams): Promise<Frame> {
    const win = params.window ?? (globalThis.window as FrameWindow | undefined);
    if (!win || (win.parent as unknown) === win) {
      throw new FrameInitializationError(
        'NOT_IN_FRAME',
        'App.initializeFrame() must run inside the platform iframe; outside it, use OAuth2.initialize({ refreshHandler }) and attachOAuth2().',
      );
    }
    const timeoutMs = params.timeoutMs ?? defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError('FrameParams.timeoutMs must be a positive number of milliseconds.');
    }
    const targetOrigin = resolveTargetOrigin(win, params.targetOrigin);
    const platformOrigins = params.platformOrigins ?? App.platformOrigins;
    if (!originMatcher(platformOrigins, 'FrameParams.platformOrigins')(targetOrigin)) {
      throw new FrameInitializationError(
        'UNTRUSTED_PLATFORM',
        `The page embedding this mini-app is on ${targetOrigin}, which matches no trusted platform origin (FrameParams.platformOrigins, by default App.platformOrigins: ${platformOrigins.join(', ')}). If it is your platform's own domain, add it: App.initializeFrame({ platformOrigins: ['${targetOrigin}'] }).`,
      );
    }
    const bridge = createBridge(win, targetOrigin, timeoutMs);
    try {
      const context = readContext(await bridge.request('context'));
      if (!context) {
        throw new FrameInitializationError(
          'INVALID_CONTEXT',
          'The platform sent a context without a valid domain, https flag or auth tokens: check that the page embedding this mini-app runs a platform host of the same protocol version (createPlatformHost).',
        );
      }
      const oauth2 = startOAuth2(context, bridge, {
        coordinate: params.coordinateRefresh !== false,
        timeoutMs,
      });
      const baseURL =
        params.apiBaseURL ?? `${context.https ? 'https' : 'http'}://${context.domain}/api/v1`;
      const rateLimiter = RateLimiter.initialize({
        limit: context.ratelimit.limit > 0 ? Math.floor(context.ratelimit.limit) : -1,
      });
      const frame = new Frame(
        targetOrigin,
        context,
        bridge,
        new Rest(oauth2, baseURL, rateLimiter),
      );
      frame.callbacks = { ...params.events };
      singletons().frame = frame;
      emit(frame.callbacks, 'onReady', { domain: context.domain });
      return frame;
    } catch (error) {
      bridge.destroy();
      throw error;
    }
  }

  /** The account domain, such as `example.aspro.cloud`. */
  get domain(): string {
    return this.context.domain;
  }

  /** Whether the platform is served over HTTPS. */
  get https(): boolean {
    return this.context.https;
  }

  /** The user's language, such as `'ru'` or `'en'`. */
  get language(): string {
    return this.context.language;
  }

  /** The id of the placement embedding this mini-app. */
  get uniqid(): string {
    return this.context.placement.id;
  }

  /** Event handlers of the frame. */
  get events(): EventCallbacks<FrameEventName> {
    return { ...this.callbacks };
  }

  /** Replaces the event handlers of the frame with a copy of `value`. */
  set events(value: EventCallbacks<FrameEventName>) {
    this.callbacks = { ...value };
  }

  /** The context the platform sent, with `auth` showing the current tokens. */
  getContext(): FrameContext {
    const { oauth2 } = this.rest;
    const expiresAt = oauth2.expiresAt;
    return {
      ...structuredClone(this.context),
      auth: {
        access_token: oauth2.accessToken,
        refresh_token: oauth2.refreshToken,
        expires_at: expiresAt ? formatPlatformExpiry(expiresAt) : '',
      },
    };
  }

  /**
   * Releases everything the frame holds: the message listener, requests waiting for the platform
   * (rejected), `Rest`, `OAuth2` and the singletons, so that `initializeFrame()` can run again.
   */
  destroy(): void {
    this.bridge.destroy();
    this.rest.destroy();
    this.rest.oauth2.destroy();
    const shared = singletons();
    if (shared.frame === this) shared.frame = null;
  }
}

function startOAuth2(
  context: FrameContext,
  bridge: Bridge,
  { coordinate, timeoutMs }: { coordinate: boolean; timeoutMs: number },
): OAuth2 {
  const tokens = {
    coordinationKey: coordinate
      ? JSON.stringify([context.app.id, context.account.id, context.domain])
      : undefined,
    accessToken: context.auth.access_token,
    refreshToken: context.auth.refresh_token,
    expiresAt: context.auth.expires_at || null,
    // A refresh fails its callers after timeoutMs (refreshTimeoutMs below), but the platform's
    // answer is awaited as long again: OAuth2 adopts late tokens, whose refresh token the
    // platform may already have rotated.
    refreshHandler: async ({ refreshToken }: { refreshToken: string }) =>
      (await bridge.request(
        'refresh',
        refreshToken ? { refresh_token: refreshToken } : {},
        2 * timeoutMs,
      )) as object,
  };
  const existing = OAuth2.current;
  if (!existing) return OAuth2.initialize({ ...tokens, refreshTimeoutMs: timeoutMs });
  existing.adopt(tokens);
  return existing;
}

/**
 * The entry point of a mini-app inside the platform.
 * @example
 * ```ts
 * import { App } from '@aspro-cloud/miniapp-jssdk';
 *
 * const frame = await App.initializeFrame();
 * const users = await frame.rest.get('/core/user/list');
 * ```
 */
export const App: {
  /** Same as {@link Frame.initialize}. */
  initializeFrame(params?: FrameParams): Promise<Frame>;
  /**
   * The trusted platform origins used when `FrameParams.platformOrigins` is left out, such as
   * by a `<script>`-tag page that calls `initializeFrame()` with no arguments. Replace it before
   * initializing to trust a custom domain:
   * `ACloudMiniApp.App.platformOrigins = [...ACloudMiniApp.App.platformOrigins, 'https://crm.example.com']`.
   * @default ['https://aspro.cloud', 'https://*.aspro.cloud']
   */
  platformOrigins: readonly string[];
} = {
  initializeFrame(params?: FrameParams): Promise<Frame> {
    return Frame.initialize(params);
  },
  platformOrigins: ['https://aspro.cloud', 'https://*.aspro.cloud'],
};

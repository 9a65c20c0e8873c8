import { OAuth2NotInitializedError, OAuth2RefreshError, isOAuth2RefreshError } from './errors';
import { emit, type EventCallbacks, type OAuth2EventName } from './events';
import { parseExpiry, type ExpiryInput } from './expiry';
import {
  normalizeRefreshResult,
  type OAuth2RefreshHandler,
  type OAuth2RefreshResult,
} from './tokens';

/** Parameters of {@link OAuth2.initialize} and the {@link OAuth2} constructor. */
export interface OAuth2Params {
  /** The current access token. @default '' */
  accessToken?: string;
  /** The current refresh token, passed to `refreshHandler`. @default '' */
  refreshToken?: string;
  /**
   * When the access token expires: a `Date`, epoch milliseconds, ISO 8601, or the platform's
   * `YYYY-MM-DD HH:mm:ss`, which is read as UTC. `null` or absent: unknown, so expiry is learnt
   * from the server's 401.
   * @default null
   */
  expiresAt?: ExpiryInput | null;
  /** Event handlers, e.g. `{ onRefresh: (tokens) => … }`. */
  events?: EventCallbacks<OAuth2EventName>;
  /**
   * How new tokens are obtained. Supplied by `App.initializeFrame()` inside the platform;
   * required everywhere else for `refresh()` to succeed.
   */
  refreshHandler?: OAuth2RefreshHandler;
  /**
   * A refresh that has not settled after this many milliseconds fails with an
   * {@link OAuth2RefreshError} of code `REFRESH_TIMEOUT`, so no request waits forever.
   * @default 30000
   */
  refreshTimeoutMs?: number;
  /**
   * A token this close to its known expiry counts as expired: it is refreshed before a request
   * is sent with it, covering clock drift and transit time.
   * @default 5000
   */
  expirySkewMs?: number;
}

/** @internal What a request knew of the tokens when it was sent. */
export interface RequestTicket {
  readonly generation: number;
  readonly refreshesStarted: number;
}

const defaults = { refreshTimeoutMs: 30_000, expirySkewMs: 5_000 } as const;

/**
 * Manages the OAuth2 tokens of a mini-app: holds them, refreshes them once however many callers
 * ask at the same time, and tells subscribers.
 *
 * Use the singleton: `OAuth2.initialize(params)` then `OAuth2.getInstance()`, or
 * `frame.rest.oauth2` inside the platform. `new OAuth2(params)` makes an independent instance
 * for `attachOAuth2(instance, { oauth2 })`.
 *
 * @example
 * ```ts
 * const oauth2 = OAuth2.initialize({ accessToken, refreshToken, refreshHandler });
 * oauth2.events = { onRefresh: (data) => console.log('Tokens refreshed:', data) };
 * const result = await oauth2.refresh();
 * ```
 */
export class OAuth2 {
  private static instance: OAuth2 | null = null;

  private tokens: OAuth2RefreshResult;
  private callbacks: EventCallbacks<OAuth2EventName>;
  private refreshHandler: OAuth2RefreshHandler | undefined;
  private readonly refreshTimeoutMs: number;
  private readonly expirySkewMs: number;
  /** Replaced, never mutated, so that requests can keep a reference cheaply. */
  private currentTicket: RequestTicket = { generation: 0, refreshesStarted: 0 };
  /** Epoch ms from which the token counts as expired; `Infinity` when the expiry is unknown. */
  private refreshDueAt = Infinity;
  private inFlight: Promise<OAuth2RefreshResult> | null = null;
  private lastFailure: { attempt: number; error: OAuth2RefreshError } | null = null;
  private abortRefresh: ((reason: OAuth2RefreshError) => void) | null = null;
  private readonly destroyCallbacks = new Set<() => void>();
  private destroyed = false;

  /**
   * Creates an independent instance; most code wants {@link OAuth2.initialize} instead.
   * @throws TypeError or RangeError naming the parameter that is wrong.
   */
  constructor(params: OAuth2Params = {}) {
    const valid = validateParams(params);
    this.refreshTimeoutMs = valid.refreshTimeoutMs;
    this.expirySkewMs = valid.expirySkewMs;
    this.tokens = this.holdTokens(valid);
    this.callbacks = { ...params.events };
    this.refreshHandler = params.refreshHandler;
  }

  /**
   * Initializes the singleton instance of OAuth2. If an instance already exists, only updates
   * its event handlers from `params.events` and returns it.
   * @throws TypeError or RangeError naming the parameter that is wrong.
   */
  static initialize(params: OAuth2Params = {}): OAuth2 {
    if (OAuth2.instance) {
      if (params.events) OAuth2.instance.events = params.events;
      return OAuth2.instance;
    }
    OAuth2.instance = new OAuth2(params);
    return OAuth2.instance;
  }

  /**
   * Returns the singleton instance. Call only after `initialize()` or `App.initializeFrame()`.
   * @throws {@link OAuth2NotInitializedError} when there is none.
   */
  static getInstance(): OAuth2 {
    if (!OAuth2.instance) throw new OAuth2NotInitializedError();
    return OAuth2.instance;
  }

  /** @internal The singleton, or `null` when there is none. */
  static get current(): OAuth2 | null {
    return OAuth2.instance;
  }

  /** Current OAuth2 access token. */
  get accessToken(): string {
    return this.tokens.accessToken;
  }

  /** Current OAuth2 refresh token. */
  get refreshToken(): string {
    return this.tokens.refreshToken;
  }

  /** Access token expiration date and time; `null` when unknown. */
  get expiresAt(): Date | null {
    return copyTokens(this.tokens).expiresAt;
  }

  /** Event handlers: `onRefresh(data)` after a successful refresh, `onRefreshError(error)` after a failed one. */
  get events(): EventCallbacks<OAuth2EventName> {
    return { ...this.callbacks };
  }

  set events(value: EventCallbacks<OAuth2EventName>) {
    if (typeof value !== 'object' || value === null) {
      throw new TypeError('OAuth2 events: pass an object such as { onRefresh: (data) => {} }.');
    }
    this.callbacks = { ...value };
  }

  /**
   * Refreshes the tokens through the refresh handler (the platform, inside a frame). While one
   * refresh runs, every caller gets the same promise. On success the tokens are replaced, then
   * `onRefresh` fires, then callers resume. On failure the tokens are kept, `onRefreshError`
   * fires and callers reject; the next call starts afresh.
   * @throws {@link OAuth2RefreshError} (as a rejection), with the handler's error as `cause`.
   */
  refresh(): Promise<OAuth2RefreshResult> {
    if (this.destroyed) return Promise.reject(destroyedError());
    this.inFlight ??= this.performRefresh();
    return this.inFlight;
  }

  /**
   * Removes subscriptions and releases resources: ejects the interceptors of every attached axios
   * instance, rejects a refresh in flight (and so everything waiting on it), and clears the
   * singleton so that `initialize()` creates a new one. Calling it again does nothing.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.callbacks = {};
    this.abortRefresh?.(destroyedError());
    for (const callback of [...this.destroyCallbacks]) callback();
    this.destroyCallbacks.clear();
    if (OAuth2.instance === this) OAuth2.instance = null;
  }

  /** @internal */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** @internal */
  get isRefreshing(): boolean {
    return this.inFlight !== null;
  }

  /** @internal What a request sent now knows of the tokens. */
  get ticket(): RequestTicket {
    return this.currentTicket;
  }

  /** @internal Whether the access token is known to expire within the skew of `now`. */
  isExpiring(now: number): boolean {
    return now >= this.refreshDueAt;
  }

  /**
   * @internal Resolves once the token may be sent: waits for a refresh in flight, or refreshes a
   * token known to be expired. Rejects with that refresh's error.
   */
  async settleBeforeSending(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    else if (this.isExpiring(Date.now())) await this.refresh();
  }

  /**
   * @internal Called when the server rejected the token a request carried. Resolves once a newer
   * token is there: at once if one arrived since the request was sent, else by joining or
   * starting the refresh. A refresh that started after the request was sent and failed is
   * shared rather than repeated.
   */
  async recoverFromRejection(sentWith: RequestTicket): Promise<void> {
    if (this.currentTicket.generation !== sentWith.generation) return;
    if (this.inFlight) {
      await this.inFlight;
      return;
    }
    if (this.lastFailure && this.lastFailure.attempt > sentWith.refreshesStarted) {
      throw this.lastFailure.error;
    }
    await this.refresh();
  }

  /** @internal Runs `callback` when this instance is destroyed; returns its unsubscribe. */
  onDestroy(callback: () => void): () => void {
    this.destroyCallbacks.add(callback);
    return () => this.destroyCallbacks.delete(callback);
  }

  /** @internal Replaces tokens and handler, as when the platform hands over a new context. */
  adopt(
    params: Pick<OAuth2Params, 'accessToken' | 'refreshToken' | 'expiresAt' | 'refreshHandler'>,
  ): void {
    this.tokens = this.holdTokens(validateParams(params));
    this.refreshHandler = params.refreshHandler ?? this.refreshHandler;
    this.advanceTicket(1, 0);
  }

  private async performRefresh(): Promise<OAuth2RefreshResult> {
    this.advanceTicket(0, 1);
    const attempt = this.currentTicket.refreshesStarted;
    try {
      const raw = await this.callRefreshHandler();
      const result = normalizeRefreshResult(raw, this.tokens.refreshToken, Date.now());
      this.tokens = this.holdTokens(result);
      this.advanceTicket(1, 0);
      this.inFlight = null;
      emit(this.callbacks, 'onRefresh', copyTokens(result));
      return copyTokens(result);
    } catch (cause) {
      const error = isOAuth2RefreshError(cause)
        ? cause
        : new OAuth2RefreshError(
            'REFRESH_FAILED',
            'The token refresh failed; the previous tokens are kept. See `cause` for why.',
            { cause },
          );
      this.lastFailure = { attempt, error };
      this.inFlight = null;
      emit(this.callbacks, 'onRefreshError', error);
      throw error;
    }
  }

  private holdTokens({
    accessToken,
    refreshToken,
    expiresAt,
  }: OAuth2RefreshResult): OAuth2RefreshResult {
    this.refreshDueAt = expiresAt === null ? Infinity : expiresAt.getTime() - this.expirySkewMs;
    return { accessToken, refreshToken, expiresAt };
  }

  private advanceTicket(generations: number, refreshes: number): void {
    const { generation, refreshesStarted } = this.currentTicket;
    this.currentTicket = {
      generation: generation + generations,
      refreshesStarted: refreshesStarted + refreshes,
    };
  }

  /** Always settles asynchronously, so `refresh()` has stored the flight before it settles. */
  private callRefreshHandler(): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bounded = new Promise<unknown>((resolve, reject) => {
      const handler = this.refreshHandler;
      if (!handler) {
        throw new OAuth2RefreshError(
          'NO_REFRESH_HANDLER',
          'OAuth2 has no refreshHandler: pass one to OAuth2.initialize({ refreshHandler }), or start inside the platform with App.initializeFrame().',
        );
      }
      this.abortRefresh = reject;
      timer = setTimeout(
        () =>
          reject(
            new OAuth2RefreshError(
              'REFRESH_TIMEOUT',
              `The token refresh did not settle within ${this.refreshTimeoutMs} ms (refreshTimeoutMs); the previous tokens are kept.`,
            ),
          ),
        this.refreshTimeoutMs,
      );
      Promise.resolve(handler({ refreshToken: this.tokens.refreshToken })).then(resolve, reject);
    });
    return bounded.finally(() => {
      clearTimeout(timer);
      this.abortRefresh = null;
    });
  }
}

function copyTokens(tokens: OAuth2RefreshResult): OAuth2RefreshResult {
  return { ...tokens, expiresAt: tokens.expiresAt && new Date(tokens.expiresAt.getTime()) };
}

function destroyedError(): OAuth2RefreshError {
  return new OAuth2RefreshError(
    'DESTROYED',
    'OAuth2 was destroyed; call OAuth2.initialize() (or App.initializeFrame()) again to get a new instance.',
  );
}

function validateParams(
  params: OAuth2Params,
): Required<
  Pick<OAuth2Params, 'accessToken' | 'refreshToken' | 'refreshTimeoutMs' | 'expirySkewMs'>
> & { expiresAt: Date | null } {
  if (typeof params !== 'object' || params === null) {
    throw new TypeError('OAuth2 params: pass an object, e.g. { accessToken, refreshToken }.');
  }
  const { accessToken = '', refreshToken = '', expiresAt = null, refreshHandler, events } = params;
  const { refreshTimeoutMs = defaults.refreshTimeoutMs, expirySkewMs = defaults.expirySkewMs } =
    params;
  if (typeof accessToken !== 'string') throw new TypeError('OAuth2 accessToken must be a string.');
  if (typeof refreshToken !== 'string')
    throw new TypeError('OAuth2 refreshToken must be a string.');
  if (refreshHandler !== undefined && typeof refreshHandler !== 'function') {
    throw new TypeError('OAuth2 refreshHandler must be a function returning the new tokens.');
  }
  if (events !== undefined && (typeof events !== 'object' || events === null)) {
    throw new TypeError('OAuth2 events must be an object such as { onRefresh: (data) => {} }.');
  }
  if (!Number.isFinite(refreshTimeoutMs) || refreshTimeoutMs <= 0) {
    throw new RangeError('OAuth2 refreshTimeoutMs must be a positive number of milliseconds.');
  }
  if (!Number.isFinite(expirySkewMs) || expirySkewMs < 0) {
    throw new RangeError('OAuth2 expirySkewMs must be zero or a positive number of milliseconds.');
  }
  const parsedExpiry = expiresAt === null ? null : parseExpiry(expiresAt);
  if (typeof parsedExpiry === 'string') {
    throw new RangeError(`OAuth2 expiresAt cannot be read: ${parsedExpiry}.`);
  }
  return { accessToken, refreshToken, expiresAt: parsedExpiry, refreshTimeoutMs, expirySkewMs };
}

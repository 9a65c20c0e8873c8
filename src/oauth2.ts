import { OAuth2NotInitializedError, OAuth2RefreshError, isOAuth2RefreshError } from './errors';
import { emit, type EventCallbacks, type OAuth2EventName } from './events';
import { parseExpiry, type ExpiryInput } from './expiry';
import {
  coordinateRefresh,
  type RefreshCoordination,
  type SiblingNews,
} from './refresh-coordination';
import { singletons } from './shared';
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
  /**
   * Instances with the same key, in frames and tabs of one origin, refresh once for all: one
   * holds a Web Lock and refreshes, the others adopt its tokens over a `BroadcastChannel` (their
   * own `onRefresh` fires) or share its failure. Name the mini-app and the user, such as
   * `'my-app:user-42'`; it is never sent anywhere. `App.initializeFrame()` sets it from the
   * context unless `FrameParams.coordinateRefresh` is `false`. Left out, or where Web Locks or
   * `BroadcastChannel` are missing, each instance refreshes on its own. See docs/coordination.md.
   */
  coordinationKey?: string;
}

/** Settles a refresh in flight. */
interface FlightSettler {
  resolve(tokens: OAuth2RefreshResult): void;
  reject(error: OAuth2RefreshError): void;
}

/** @internal What a request knew of the tokens when it was sent. */
export interface RequestTicket {
  readonly generation: number;
  readonly refreshesStarted: number;
}

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
 * import { OAuth2 } from '@aspro-cloud/miniapp-jssdk';
 *
 * const oauth2 = OAuth2.initialize({ accessToken, refreshToken, refreshHandler });
 * oauth2.events = { onRefresh: (data) => console.log('Tokens refreshed:', data) };
 * const result = await oauth2.refresh();
 * ```
 */
export class OAuth2 {
  /**
   * `instanceof OAuth2` holds for an instance made by any copy of this SDK version (its ESM and
   * CJS builds), as the singleton is shared by them; subclasses test as usual.
   */
  static [Symbol.hasInstance](value: unknown): value is OAuth2 {
    if (this !== OAuth2) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && singletons().oauth2Instances.has(value);
  }

  // ES private members (`#`), which bundlers shorten; nothing outside this class touches them.
  #tokens: OAuth2RefreshResult;
  #callbacks: EventCallbacks<OAuth2EventName>;
  #refreshHandler: OAuth2RefreshHandler | undefined;
  readonly #refreshTimeoutMs: number;
  readonly #expirySkewMs: number;
  /** Replaced, never mutated, so that requests can keep a reference cheaply. */
  #ticket: RequestTicket = { generation: 0, refreshesStarted: 0 };
  /** Epoch ms from which the token counts as expired; `Infinity` when the expiry is unknown. */
  #refreshDueAt = Infinity;
  /** The generation whose token was last refreshed ahead of its expiry: once per generation. */
  #proactiveGeneration = -1;
  #inFlight: {
    attempt: number;
    promise: Promise<OAuth2RefreshResult>;
    /** Started ahead of a known expiry, not by a 401: its failure does not stop requests. */
    proactive: boolean;
  } | null = null;
  /**
   * The handler's answer of a refresh that timed out, still awaited for one more
   * `refreshTimeoutMs`: a refresh started meanwhile waits for it instead of spending the same
   * (possibly single-use) refresh token twice.
   */
  #unanswered: { answer: Promise<OAuth2RefreshResult>; until: number } | null = null;
  #lastFailure: { attempt: number; error: OAuth2RefreshError } | null = null;
  /** Settles the refresh in flight from outside its answer: a sibling's tokens, destroy. */
  #settleFlight: FlightSettler | null = null;
  #coordination: RefreshCoordination | null = null;
  #coordinationKey: string | undefined;
  readonly #destroyCallbacks = new Set<() => void>();
  #destroyed = false;

  /**
   * Creates an independent instance; most code wants {@link OAuth2.initialize} instead.
   * @throws TypeError or RangeError naming the parameter that is wrong.
   */
  constructor(params: OAuth2Params = {}) {
    const valid = validateParams(params);
    this.#refreshTimeoutMs = valid.refreshTimeoutMs;
    this.#expirySkewMs = valid.expirySkewMs;
    this.#tokens = this.#hold(valid, null);
    this.#callbacks = { ...params.events };
    this.#refreshHandler = params.refreshHandler;
    this.#coordinate(valid.coordinationKey);
    singletons().oauth2Instances.add(this);
  }

  /**
   * Initializes the singleton instance of OAuth2. If an instance already exists, only updates
   * its event handlers from `params.events` and returns it.
   * @throws TypeError or RangeError naming the parameter that is wrong.
   */
  static initialize(params: OAuth2Params = {}): OAuth2 {
    const shared = singletons();
    if (shared.oauth2) {
      if (params.events) shared.oauth2.events = params.events;
      return shared.oauth2;
    }
    return (shared.oauth2 = new OAuth2(params));
  }

  /**
   * Returns the singleton instance. Call only after `initialize()` or `App.initializeFrame()`.
   * @throws {@link OAuth2NotInitializedError} when there is none.
   */
  static getInstance(): OAuth2 {
    const { oauth2 } = singletons();
    if (!oauth2) throw new OAuth2NotInitializedError();
    return oauth2;
  }

  /** @internal The singleton, or `null` when there is none. */
  static get current(): OAuth2 | null {
    return singletons().oauth2;
  }

  /** Current OAuth2 access token. */
  get accessToken(): string {
    return this.#tokens.accessToken;
  }

  /** Current OAuth2 refresh token. */
  get refreshToken(): string {
    return this.#tokens.refreshToken;
  }

  /** Access token expiration date and time; `null` when unknown. */
  get expiresAt(): Date | null {
    return copyTokens(this.#tokens).expiresAt;
  }

  /** Event handlers: `onRefresh(data)` after a successful refresh, `onRefreshError(error)` after a failed one. */
  get events(): EventCallbacks<OAuth2EventName> {
    return { ...this.#callbacks };
  }

  /** Replaces the event handlers with a copy of `value`; throws TypeError when not an object. */
  set events(value: EventCallbacks<OAuth2EventName>) {
    this.#callbacks = { ...checkEvents(value) };
  }

  /**
   * Refreshes the tokens through the refresh handler (the platform, inside a frame). While one
   * refresh runs, every caller gets the same promise, the handler itself included. On success
   * the tokens are replaced, then `onRefresh` fires, then callers resume. On failure the tokens
   * are kept, `onRefreshError` fires and callers reject; the next call starts afresh.
   *
   * A refresh that passes `refreshTimeoutMs` fails its callers, but its answer is still awaited:
   * tokens that arrive late are adopted (and `onRefresh` fires) unless newer ones came meanwhile,
   * so a rotated refresh token the issuer already handed out is never lost.
   * @throws {@link OAuth2RefreshError} (as a rejection), with the handler's error as `cause`.
   */
  refresh(): Promise<OAuth2RefreshResult> {
    return this.#flight(false);
  }

  /** Joins the refresh in flight, or starts one. */
  #flight(proactive: boolean): Promise<OAuth2RefreshResult> {
    if (this.#destroyed) return Promise.reject(destroyedError());
    if (!this.#inFlight) {
      this.#advance(0, 1);
      const attempt = this.#ticket.refreshesStarted;
      this.#inFlight = { attempt, promise: this.#performRefresh(attempt), proactive };
    }
    return this.#inFlight.promise;
  }

  /**
   * Removes subscriptions and releases resources: ejects the interceptors of every attached axios
   * instance, rejects a refresh in flight (and so everything waiting on it), and clears the
   * singleton so that `initialize()` creates a new one. Calling it again does nothing.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#callbacks = {};
    this.#settleFlight?.reject(destroyedError());
    this.#coordinate(undefined);
    for (const callback of [...this.#destroyCallbacks]) callback();
    this.#destroyCallbacks.clear();
    const shared = singletons();
    if (shared.oauth2 === this) shared.oauth2 = null;
  }

  /** @internal */
  get isDestroyed(): boolean {
    return this.#destroyed;
  }

  /** @internal */
  get isRefreshing(): boolean {
    return this.#inFlight !== null;
  }

  /** @internal What a request sent now knows of the tokens. */
  get ticket(): RequestTicket {
    return this.#ticket;
  }

  /** @internal Whether the access token is known to expire within the skew of `now`. */
  isExpiring(now: number): boolean {
    return now >= this.#refreshDueAt;
  }

  /**
   * @internal Whether a request must wait before it is sent: a refresh is in flight, or the
   * token is expiring and has not yet been refreshed ahead of time. Once per generation, so a
   * failing refresh does not run again before every request; the server's 401 takes over.
   */
  mustWaitBeforeSending(now: number): boolean {
    return (
      this.#inFlight !== null ||
      (this.isExpiring(now) && this.#proactiveGeneration !== this.#ticket.generation)
    );
  }

  /**
   * @internal Resolves once the token may be sent: waits for a refresh in flight, or refreshes a
   * token known to be expired. Rejects with that refresh's error, unless newer tokens arrived.
   * Checks again after each wait: a refresh that ends with tokens adopted meanwhile (a late
   * answer) may leave a token that expired while the request waited.
   */
  async settleBeforeSending(): Promise<void> {
    for (;;) {
      const sentWith = this.#ticket;
      if (!this.#inFlight && this.mustWaitBeforeSending(Date.now())) {
        this.#proactiveGeneration = sentWith.generation;
        this.#flight(true).catch(() => undefined);
      }
      const flight = this.#inFlight;
      if (!flight) return;
      try {
        await this.#unlessReplaced(flight.promise, sentWith);
      } catch (error) {
        // A refresh ahead of the expiry that failed: the token may still be good (clocks differ),
        // so the request goes out with it and the server's answer decides.
        if (!flight.proactive || this.#destroyed) throw error;
        return;
      }
    }
  }

  /**
   * @internal Called when the server rejected the token a request carried. Resolves once a newer
   * token is there: at once if one arrived since the request was sent, else by joining or
   * starting the refresh. A refresh that started after the request was sent and failed is
   * shared rather than repeated.
   */
  async recoverFromRejection(sentWith: RequestTicket): Promise<void> {
    if (this.#ticket.generation !== sentWith.generation) return;
    const failure = this.#lastFailure;
    if (!this.#inFlight && failure && failure.attempt > sentWith.refreshesStarted) {
      throw failure.error;
    }
    await this.#unlessReplaced(this.#inFlight?.promise ?? this.refresh(), sentWith);
  }

  /** A failed refresh does not fail a request when newer tokens arrived meanwhile (a late answer). */
  async #unlessReplaced(flight: Promise<unknown>, sentWith: RequestTicket): Promise<void> {
    try {
      await flight;
    } catch (error) {
      if (this.#ticket.generation === sentWith.generation) throw error;
    }
  }

  /** @internal Runs `callback` when this instance is destroyed; returns its unsubscribe. */
  onDestroy(callback: () => void): () => void {
    this.#destroyCallbacks.add(callback);
    return () => this.#destroyCallbacks.delete(callback);
  }

  /** @internal Replaces tokens and handler, as when the platform hands over a new context. */
  adopt(
    params: Pick<
      OAuth2Params,
      'accessToken' | 'refreshToken' | 'expiresAt' | 'refreshHandler' | 'coordinationKey'
    >,
  ): void {
    const valid = validateParams(params);
    this.#tokens = this.#hold(valid, null);
    this.#refreshHandler = params.refreshHandler ?? this.#refreshHandler;
    this.#coordinate(valid.coordinationKey);
    this.#advance(1, 0);
  }

  #coordinate(key: string | undefined): void {
    if (key === this.#coordinationKey && !this.#destroyed) return;
    this.#coordinationKey = key;
    this.#coordination?.close();
    this.#coordination =
      key === undefined || this.#destroyed
        ? null
        : coordinateRefresh(key, (news) => this.#hearSibling(news));
  }

  /**
   * A sibling frame's outcome for the token held here settles the refresh in flight, whose
   * handler is then not called. New tokens are adopted and `onRefresh` fires. A failure fires
   * `onRefreshError` and counts as a refresh started now: requests sent before it that the
   * server rejects share it, as they share a failure of this instance's own.
   */
  #hearSibling(news: SiblingNews): void {
    if (this.#destroyed || news.replaces !== this.#tokens.accessToken) return;
    if (news.kind === 'failed') {
      const error = new OAuth2RefreshError(
        news.code,
        'A refresh by another frame of this mini-app failed; previous tokens are kept.',
      );
      if (this.#settleFlight) {
        this.#settleFlight.reject(error);
      } else {
        this.#advance(0, 1);
        this.#lastFailure = { attempt: this.#ticket.refreshesStarted, error };
        emit(this.#callbacks, 'onRefreshError', error);
      }
      return;
    }
    this.#tokens = this.#hold(news.tokens, Date.now());
    this.#advance(1, 0);
    if (this.#inFlight) this.#endFlight(this.#inFlight.attempt);
    emit(this.#callbacks, 'onRefresh', copyTokens(news.tokens));
    this.#settleFlight?.resolve(copyTokens(news.tokens));
  }

  /**
   * One refresh: the handler is called on a later microtask, so the flight is stored before the
   * handler runs and a handler that calls `refresh()` joins it. Callers get the outcome within
   * `refreshTimeoutMs`; the handler's answer is adopted whenever it comes.
   */
  async #performRefresh(attempt: number): Promise<OAuth2RefreshResult> {
    const { generation } = this.#ticket;
    const { accessToken, refreshToken } = this.#tokens;
    const late = this.#unanswered;
    const unanswered = late && Date.now() < late.until ? late.answer : null;
    let asked: Promise<OAuth2RefreshResult> | null = null;
    const ask = () =>
      (asked = Promise.resolve()
        .then(() => this.#callRefreshHandler(refreshToken))
        .then((raw) => this.#adoptResult(raw, refreshToken, generation, attempt)));
    const settled = new AbortController();
    const answer =
      unanswered ??
      this.#coordination?.run({
        replaces: accessToken,
        // Checked again under the lock: tokens replaced meanwhile need no refresh.
        obtain: () =>
          this.#ticket.generation === generation
            ? ask()
            : Promise.resolve(copyTokens(this.#tokens)),
        signal: settled.signal,
        lateAnswerMs: this.#refreshTimeoutMs,
      }) ??
      ask();
    try {
      const result = await this.#withinTimeout(answer, settled);
      this.#endFlight(attempt);
      return result;
    } catch (cause) {
      const error = isOAuth2RefreshError(cause)
        ? cause
        : new OAuth2RefreshError(
            'REFRESH_FAILED',
            'Token refresh failed; previous tokens are kept. See cause.',
            { cause },
          );
      if (!unanswered && error.code === 'REFRESH_TIMEOUT' && asked) this.#awaitLate(asked);
      this.#lastFailure = { attempt, error };
      this.#endFlight(attempt);
      emit(this.#callbacks, 'onRefreshError', error);
      throw error;
    }
  }

  #awaitLate(answer: Promise<OAuth2RefreshResult>): void {
    this.#unanswered = { answer, until: Date.now() + this.#refreshTimeoutMs };
    const forget = () => {
      if (this.#unanswered?.answer === answer) this.#unanswered = null;
    };
    answer.then(forget, forget);
  }

  /** Clears the flight before its events fire, so a handler that calls `refresh()` starts anew. */
  #endFlight(attempt: number): void {
    if (this.#inFlight?.attempt === attempt) this.#inFlight = null;
  }

  #callRefreshHandler(refreshToken: string): unknown {
    if (this.#destroyed) throw destroyedError();
    if (!this.#refreshHandler) {
      throw new OAuth2RefreshError(
        'NO_REFRESH_HANDLER',
        'OAuth2 has no refreshHandler: pass one to OAuth2.initialize(), or call App.initializeFrame().',
      );
    }
    return this.#refreshHandler({ refreshToken });
  }

  /**
   * Takes a handler's answer, in time or late. Tokens are replaced only while the generation
   * the refresh started from is still current; otherwise newer tokens are already held and are
   * what the callers get.
   */
  #adoptResult(
    raw: unknown,
    refreshToken: string,
    generation: number,
    attempt: number,
  ): OAuth2RefreshResult {
    if (this.#destroyed) throw destroyedError();
    const now = Date.now();
    const { tokens, discarded } = normalizeRefreshResult(raw, refreshToken, now);
    this.#endFlight(attempt);
    if (this.#ticket.generation !== generation) return copyTokens(this.#tokens);
    const replaced = this.#tokens.accessToken;
    this.#tokens = this.#hold(tokens, now);
    this.#advance(1, 0);
    this.#coordination?.publish(replaced, tokens);
    if (discarded) emit(this.#callbacks, 'onExpiryDiscarded', discarded);
    emit(this.#callbacks, 'onRefresh', copyTokens(tokens));
    return copyTokens(tokens);
  }

  /**
   * Holds tokens and schedules their refresh `expirySkewMs` before the expiry. For tokens just
   * issued (`issuedAt` known) the skew is at most half their lifetime, so a short-lived token is
   * not due the moment it arrives.
   */
  #hold(
    { accessToken, refreshToken, expiresAt }: OAuth2RefreshResult,
    issuedAt: number | null,
  ): OAuth2RefreshResult {
    const expiry = expiresAt?.getTime() ?? Infinity;
    const lifetime = issuedAt === null ? Infinity : expiry - issuedAt;
    this.#refreshDueAt = expiry - Math.min(this.#expirySkewMs, lifetime / 2);
    return { accessToken, refreshToken, expiresAt };
  }

  #advance(generations: number, refreshes: number): void {
    const { generation, refreshesStarted } = this.#ticket;
    this.#ticket = {
      generation: generation + generations,
      refreshesStarted: refreshesStarted + refreshes,
    };
  }

  /**
   * Settles as `answer`, or rejects with `REFRESH_TIMEOUT` after `refreshTimeoutMs`, or settles
   * from outside (`#settleFlight`); whichever comes first aborts `settled`, with the error.
   */
  #withinTimeout(
    answer: Promise<OAuth2RefreshResult>,
    settled: AbortController,
  ): Promise<OAuth2RefreshResult> {
    answer.catch(() => undefined);
    return new Promise((resolve, reject) => {
      const settle = (error?: OAuth2RefreshError) => {
        clearTimeout(timer);
        if (this.#settleFlight === flight) this.#settleFlight = null;
        settled.abort(error);
      };
      const flight: FlightSettler = (this.#settleFlight = {
        resolve: (tokens: OAuth2RefreshResult) => {
          settle();
          resolve(tokens);
        },
        reject: (error: OAuth2RefreshError) => {
          settle(error);
          reject(error);
        },
      });
      const timer = setTimeout(
        () =>
          flight.reject(
            new OAuth2RefreshError(
              'REFRESH_TIMEOUT',
              `Token refresh did not settle within ${this.#refreshTimeoutMs} ms (refreshTimeoutMs); previous tokens are kept, late ones will be adopted.`,
            ),
          ),
        this.#refreshTimeoutMs,
      );
      answer.then(flight.resolve, flight.reject);
    });
  }
}

function copyTokens(tokens: OAuth2RefreshResult): OAuth2RefreshResult {
  return { ...tokens, expiresAt: tokens.expiresAt && new Date(tokens.expiresAt.getTime()) };
}

function destroyedError(): OAuth2RefreshError {
  return new OAuth2RefreshError(
    'DESTROYED',
    'OAuth2 was destroyed: call OAuth2.initialize() or App.initializeFrame() again.',
  );
}

/** Throws a `TypeError` (or `RangeError`) saying which parameter is wrong and what to pass. */
function fail(name: string, what: string, type = TypeError): never {
  throw new type(`OAuth2 ${name}: pass ${what}.`);
}

function checkEvents<T>(events: T): T {
  if (typeof events !== 'object' || events === null) {
    fail('events', 'an object such as { onRefresh: (data) => {} }');
  }
  return events;
}

function validateParams(
  params: OAuth2Params,
): Required<
  Pick<OAuth2Params, 'accessToken' | 'refreshToken' | 'refreshTimeoutMs' | 'expirySkewMs'>
> & { expiresAt: Date | null; coordinationKey: string | undefined } {
  if (typeof params !== 'object' || params === null) {
    fail('params', 'an object such as { accessToken, refreshToken }');
  }
  const {
    accessToken = '',
    refreshToken = '',
    expiresAt = null,
    refreshHandler,
    events,
    refreshTimeoutMs = 30_000,
    expirySkewMs = 5_000,
    coordinationKey,
  } = params;
  if (typeof accessToken !== 'string') fail('accessToken', 'a string');
  if (typeof refreshToken !== 'string') fail('refreshToken', 'a string');
  if (refreshHandler !== undefined && typeof refreshHandler !== 'function') {
    fail('refreshHandler', 'a function returning the new tokens');
  }
  if (events !== undefined) checkEvents(events);
  if (coordinationKey !== undefined && (typeof coordinationKey !== 'string' || !coordinationKey)) {
    fail(
      'coordinationKey',
      "a non-empty string naming the mini-app and user, such as 'app:user-42'",
    );
  }
  if (!Number.isFinite(refreshTimeoutMs) || refreshTimeoutMs <= 0) {
    fail('refreshTimeoutMs', 'a positive number of ms', RangeError);
  }
  if (!Number.isFinite(expirySkewMs) || expirySkewMs < 0) {
    fail('expirySkewMs', '0 or a positive number of ms', RangeError);
  }
  const parsedExpiry = expiresAt === null ? null : parseExpiry(expiresAt);
  if (typeof parsedExpiry === 'string') {
    fail(
      'expiresAt',
      `a Date, epoch ms, ISO 8601 or 'YYYY-MM-DD HH:mm:ss' (${parsedExpiry})`,
      RangeError,
    );
  }
  return {
    accessToken,
    refreshToken,
    expiresAt: parsedExpiry,
    refreshTimeoutMs,
    expirySkewMs,
    coordinationKey,
  };
}

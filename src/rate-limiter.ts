import { RateLimitError } from './errors';
import { singletons } from './shared';

/** Options of {@link RateLimiter}. */
export interface RateLimiterParams {
  /** Requests per second; `-1` (the default) until known: then only the server's figures count. */
  limit?: number;
}

/** The span the limit counts over. */
const windowMs = 1000;
/**
 * The longest the queue pauses for the server, however long it asks: past that, requests go
 * out again and a server still refusing them fails them with `RATE_LIMITED`, instead of the app
 * waiting silently for hours.
 */
const longestPauseMs = 60_000;
/** A request unanswered this long after leaving has reached the server: it stops holding its place. */
const longestHoldMs = 10_000;

/** A request that left: it holds its place in the window until a second after its answer. */
interface Send {
  /** Monotonic time (ms) it left. */
  leftAt: number;
  /** Monotonic time (ms) of its answer; `undefined` while it is on the wire. */
  answeredAt?: number;
}

/**
 * A request's turn: `answered()` once its response (or failure) is in, so that its place is
 * freed a window later; `giveBack()` when it did not leave after all.
 */
export interface Turn {
  answered(): void;
  giveBack(): void;
}

/** A request waiting in the queue for its turn to leave. */
interface Waiter {
  grant: (turn: Turn) => void;
  reject: (reason: RateLimitError) => void;
  /** Goes ahead of waiters that are not urgent (a refresh call the others wait for). */
  urgent: boolean;
}

/** What the server said about its limit in one response. */
export interface ServerLimits {
  /** Requests left in the server's current window. */
  remaining?: number;
  /** When the server's window resets, epoch ms. */
  resetAt?: number;
  /** How long the server asked to wait (a 429's `Retry-After`), ms. */
  retryAfterMs?: number;
}

/**
 * A strict sliding window over the requests that leave: never more than `limit` in any 1,000 ms,
 * in arrival order, and nothing waits while there is room. The server sees a request some time
 * between its leaving and its answer, so a request holds its place until 1,000 ms after its
 * answer: the server's own window over arrivals is never exceeded either. The server's own figures win when it
 * sends them: a 429's `Retry-After`, or `remaining: 0` until `reset`, pause the whole queue.
 *
 * Inside the platform `frame.rest.rateLimiter` is the singleton, with `limit` from the context.
 * Elsewhere pass one to `attachRateLimiter(instance, { rateLimiter })`, or a `limit`.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { RateLimiter, attachRateLimiter } from '@aspro-cloud/miniapp-jssdk';
 *
 * const api = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1' });
 * attachRateLimiter(api, { rateLimiter: RateLimiter.initialize({ limit: 10 }) });
 * ```
 */
export class RateLimiter {
  #limit: number;
  #remaining = -1;
  #reset = 0;
  #lastRequestTime = 0;
  /** The requests that still hold a place in the window. */
  #sent: Send[] = [];
  readonly #queue: Waiter[] = [];
  /** Monotonic time (ms) until which the server asked for nothing to be sent. */
  #pausedUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #destroyed = false;

  /**
   * Creates an independent limiter; inside the platform use `frame.rest.rateLimiter`.
   * @throws RangeError when `limit` is neither `-1` nor a positive integer.
   */
  constructor(params: RateLimiterParams = {}) {
    this.#limit = validLimit(params.limit ?? -1);
  }

  /**
   * The singleton, created on the first call (later calls return it and may set its `limit`).
   * @throws RangeError when `params.limit` is neither `-1` nor a positive integer.
   */
  static initialize(params: RateLimiterParams = {}): RateLimiter {
    const shared = singletons();
    if (!shared.rateLimiter) shared.rateLimiter = new RateLimiter(params);
    else if (params.limit !== undefined) shared.rateLimiter.limit = params.limit;
    return shared.rateLimiter;
  }

  /**
   * The singleton.
   * @throws {@link RateLimitError} `NOT_INITIALIZED` before `RateLimiter.initialize()` or
   * `App.initializeFrame()`.
   */
  static getInstance(): RateLimiter {
    const { rateLimiter } = singletons();
    if (!rateLimiter) {
      throw new RateLimitError(
        'NOT_INITIALIZED',
        'RateLimiter is not initialized: call RateLimiter.initialize({ limit }), or await App.initializeFrame(), first.',
      );
    }
    return rateLimiter;
  }

  /** Requests per second; `-1` while unknown. Setting it applies to the requests still queued. */
  get limit(): number {
    return this.#limit;
  }

  /** Sets requests per second, or `-1`; throws RangeError for anything else. */
  set limit(value: number) {
    this.#limit = validLimit(value);
    this.#drain();
  }

  /** Requests left in the current window: the server's figure when it sent one, else this limiter's; `-1` while unknown. */
  get remaining(): number {
    // The server's figure holds until its reset.
    if (this.#remaining >= 0 && Date.now() < this.#reset) return this.#remaining;
    if (this.#limit < 0) return -1;
    return Math.max(0, this.#limit - this.#placesHeld(performance.now()));
  }

  /** When the current window resets, epoch ms: the server's figure when it sent one; `0` while unknown. */
  get reset(): number {
    return this.#reset;
  }

  /** Whether requests are waiting in the queue. */
  get processing(): boolean {
    return this.#queue.length > 0;
  }

  /** When the last request left, epoch ms; `0` before the first. */
  get lastRequestTime(): number {
    return this.#lastRequestTime;
  }

  /**
   * Waits for this request's turn: resolves when it may leave (holding a place in the window
   * from then), in arrival order; an `urgent` one goes ahead of the others.
   * @internal Returns the wait and a `cancel()` that takes a request still waiting out of the queue.
   */
  take(urgent = false): { turn: Promise<Turn>; cancel: () => void } {
    if (this.#destroyed) return { turn: Promise.reject(destroyedError()), cancel: () => undefined };
    let waiter!: Waiter;
    const turn = new Promise<Turn>((grant, reject) => {
      waiter = { grant, reject, urgent };
    });
    if (urgent) {
      const firstOrdinary = this.#queue.findIndex((queued) => !queued.urgent);
      this.#queue.splice(firstOrdinary < 0 ? this.#queue.length : firstOrdinary, 0, waiter);
    } else {
      this.#queue.push(waiter);
    }
    this.#drain();
    const cancel = () => {
      const index = this.#queue.indexOf(waiter);
      if (index >= 0) this.#queue.splice(index, 1);
    };
    return { turn, cancel };
  }

  /**
   * This request's turn at once, when it may leave now and nobody waits ahead of it; else
   * `undefined` (then {@link RateLimiter.take} queues it).
   * @internal
   */
  takeNow(urgent = false): Turn | undefined {
    if (this.#destroyed) return undefined;
    const waitingAhead = urgent
      ? this.#queue.some((queued) => queued.urgent)
      : this.#queue.length > 0;
    if (waitingAhead || this.#waitBeforeNext(performance.now()) > 0) return undefined;
    return this.#recordSend();
  }

  /**
   * Takes in what the server said: `remaining` and `reset` show its figures, a `Retry-After` or
   * `remaining: 0` before `reset` pause the whole queue until then.
   * @internal
   */
  observe(limits: ServerLimits): void {
    const now = Date.now();
    if (limits.remaining !== undefined) this.#remaining = limits.remaining;
    if (limits.resetAt !== undefined) this.#reset = limits.resetAt;
    let pauseMs = limits.retryAfterMs ?? 0;
    if (limits.remaining === 0 && limits.resetAt !== undefined) {
      pauseMs = Math.max(pauseMs, limits.resetAt - now);
    }
    pauseMs = Math.min(pauseMs, longestPauseMs);
    if (pauseMs > 0) {
      this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + pauseMs);
      this.#drain();
    }
  }

  /** Rejects every queued request with {@link RateLimitError} `DESTROYED` and releases the singleton. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    clearTimeout(this.#timer);
    for (const waiter of this.#queue.splice(0)) waiter.reject(destroyedError());
    const shared = singletons();
    if (shared.rateLimiter === this) shared.rateLimiter = null;
  }

  /** Lets out every waiter there is room for, then sleeps until the next one may leave. */
  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const now = performance.now();
      const wait = this.#waitBeforeNext(now);
      if (wait > 0) {
        this.#timer = setTimeout(() => this.#drain(), wait);
        return;
      }
      this.#queue.shift()?.grant(this.#recordSend());
    }
  }

  /**
   * Milliseconds until one more request may leave (an answer that frees a place sooner drains
   * the queue again).
   */
  #waitBeforeNext(now: number): number {
    const paused = this.#pausedUntil - now;
    const held = this.#placesHeld(now);
    if (this.#limit < 0 || held < this.#limit) return paused;
    const freedAt = this.#sent.map((send) => heldUntil(send)).sort((a, b) => a - b)[
      held - this.#limit
    ];
    return Math.max(paused, freedAt - now);
  }

  /** Drops the places freed by now; returns how many are still held. */
  #placesHeld(now: number): number {
    if (this.#sent.length > 0) {
      this.#sent = this.#sent.filter((send) => heldUntil(send) > now);
    }
    return this.#sent.length;
  }

  #recordSend(): Turn {
    this.#lastRequestTime = Date.now();
    if (this.#remaining > 0) this.#remaining -= 1;
    const send: Send = { leftAt: performance.now() };
    // With no limit known there is no window to keep (and so no list to grow with every send).
    if (this.#limit > 0) this.#sent.push(send);
    return {
      answered: () => {
        send.answeredAt ??= performance.now();
        if (this.#queue.length > 0) this.#drain();
      },
      giveBack: () => {
        this.#sent = this.#sent.filter((held) => held !== send);
        this.#drain();
      },
    };
  }
}

/** Until when (monotonic ms) a request holds its place: a window after its answer, or after it stopped being waited for. */
function heldUntil(send: Send): number {
  return Math.min(send.answeredAt ?? Infinity, send.leftAt + longestHoldMs) + windowMs;
}

function validLimit(limit: number): number {
  if (limit === -1 || (Number.isInteger(limit) && limit > 0)) return limit;
  throw new RangeError('RateLimiter limit: pass requests per second, a positive integer, or -1.');
}

function destroyedError(): RateLimitError {
  return new RateLimitError(
    'DESTROYED',
    'The rate limiter was destroyed: attach a live one (attachRateLimiter) and send the request again.',
  );
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenApi, type TokenApiOptions } from './token-api';

/** What the rate-limited API saw; the benchmark reads these. */
export interface LimitedApiCounters {
  /** Requests to `/api/…` that arrived, 429s, retries and replays included. */
  arrivals: number;
  /** Arrivals the limit let through (answered 200, or 401 with `auth`). */
  accepted: number;
  /** Arrivals over the limit, answered 429. */
  tooManyRequests: number;
  /** Accepted arrivals answered 200. */
  succeeded: number;
  /** Accepted arrivals answered 401 (only with `auth`: a stale access token). */
  unauthorized: number;
  /** Calls of `POST /oauth/token` (only with `auth`; never rate limited). */
  refreshes: number;
}

export interface LimitedApiOptions {
  /** Arrivals allowed in any 1,000 ms: a strict sliding window over arrival times. @default 50 */
  limit?: number;
  /** Delay of every accepted answer, so that requests overlap as in real life. @default 5 */
  apiLatencyMs?: number;
  /** Also send `X-RateLimit-Limit` / `-Remaining` / `-Reset` (the reset as epoch seconds). @default false */
  legacyHeaders?: boolean;
  /**
   * Guard `/api/…` with OAuth2 bearer tokens as {@link TokenApi} does (401 for a stale token,
   * `POST /oauth/token` to refresh); the limit is checked first, so a 401 uses up a slot.
   * @default false
   */
  auth?: boolean;
  /** Delay of the token endpoint's answer (only with `auth`). @default 20 */
  refreshLatencyMs?: number;
}

/** Arrival times and their spread, as the server saw them. */
export interface ArrivalSpread {
  /** Most arrivals in any 1,000 ms (a window that ends on an arrival). */
  maxInAnyWindow: number;
  /** Arrivals per second, counted from the first arrival; the last second is usually partial. */
  perSecond: number[];
}

const windowMs = 1000;

/**
 * A real HTTP API on 127.0.0.1 that allows `limit` requests to `/api/…` in any 1,000 ms (a strict
 * sliding window over the arrival times of the accepted requests). An arrival over the limit is
 * answered at once with 429, `Retry-After` (whole seconds until a slot frees, rounded up),
 * `RateLimit-Remaining: 0` and `RateLimit-Reset`; an accepted one, after `apiLatencyMs`, with
 * 200 and `RateLimit-Remaining` / `RateLimit-Reset` (seconds until the oldest arrival in the
 * window leaves it, rounded up). With `auth`, accepted requests go on to a {@link TokenApi}.
 */
export class LimitedApi {
  /** `performance.now()` of every `/api/…` arrival, in order, 429s included. */
  readonly arrivalTimes: number[] = [];
  /** `performance.now()` of every accepted arrival, in order. */
  readonly acceptedTimes: number[] = [];
  /** The token side, with `auth`: `expireAccessToken()`, `currentTokens`. */
  readonly tokens: TokenApi | null;
  private readonly options: Required<Omit<LimitedApiOptions, 'refreshLatencyMs'>>;
  /** Accepted arrivals still inside the window ending now. */
  private readonly window: number[] = [];
  private server: Server | null = null;
  private readonly own = { arrivals: 0, accepted: 0, tooManyRequests: 0, succeeded: 0 };

  private constructor(options: LimitedApiOptions) {
    this.options = {
      limit: 50,
      apiLatencyMs: 5,
      legacyHeaders: false,
      auth: false,
      ...options,
    };
    if (!Number.isInteger(this.options.limit) || this.options.limit < 1) {
      throw new RangeError('LimitedApi limit: pass a positive integer.');
    }
    const tokenOptions: TokenApiOptions = { apiLatencyMs: this.options.apiLatencyMs };
    if (options.refreshLatencyMs !== undefined) {
      tokenOptions.refreshLatencyMs = options.refreshLatencyMs;
    }
    this.tokens = this.options.auth ? new TokenApi(tokenOptions) : null;
  }

  /** Starts the API on a free loopback port. */
  static async start(options: LimitedApiOptions = {}): Promise<LimitedApi> {
    const api = new LimitedApi(options);
    const server = createServer((request, response) => {
      api.handle(request, response).catch(() => response.destroy());
    });
    api.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** A snapshot of what the API saw so far. */
  get counters(): LimitedApiCounters {
    const tokens = this.tokens?.counters;
    return {
      ...this.own,
      succeeded: tokens ? tokens.succeeded : this.own.succeeded,
      unauthorized: tokens?.unauthorized ?? 0,
      refreshes: tokens?.refreshes ?? 0,
    };
  }

  /** Requests allowed in any 1,000 ms. */
  get limit(): number {
    return this.options.limit;
  }

  /** Makes the current access token stale (only with `auth`): requests with it get 401. */
  expireAccessToken(): void {
    if (!this.tokens) throw new Error('LimitedApi.expireAccessToken needs { auth: true }.');
    this.tokens.expireAccessToken();
  }

  /** How all arrivals (429s included) spread over time. */
  arrivalSpread(): ArrivalSpread {
    return spreadOf(this.arrivalTimes);
  }

  /** How the accepted arrivals spread over time. */
  acceptedSpread(): ArrivalSpread {
    return spreadOf(this.acceptedTimes);
  }

  /** Stops the server, cutting any connection still open. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await this.tokens?.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const now = performance.now();
    if (request.url?.startsWith('/api/')) {
      this.own.arrivals += 1;
      this.arrivalTimes.push(now);
      while (this.window.length > 0 && this.window[0] <= now - windowMs) this.window.shift();
      const { limit } = this.options;
      if (this.window.length >= limit) {
        // The oldest arrival in the window leaves it, and frees a slot, at window[0] + 1000.
        const freesInSeconds = Math.max(1, Math.ceil((this.window[0] + windowMs - now) / 1000));
        this.own.tooManyRequests += 1;
        request.resume();
        response.setHeader('Retry-After', String(freesInSeconds));
        this.setLimitHeaders(response, 0, freesInSeconds);
        send(response, 429, { error: 'too_many_requests' });
        return;
      }
      this.window.push(now);
      this.acceptedTimes.push(now);
      this.own.accepted += 1;
      const resetInSeconds = Math.max(1, Math.ceil((this.window[0] + windowMs - now) / 1000));
      this.setLimitHeaders(response, limit - this.window.length, resetInSeconds);
    }
    if (this.tokens) {
      if (!(await this.tokens.handle(request, response)))
        send(response, 404, { error: 'not_found' });
      return;
    }
    if (!request.url?.startsWith('/api/')) {
      request.resume();
      send(response, 404, { error: 'not_found' });
      return;
    }
    request.resume();
    await delay(this.options.apiLatencyMs);
    this.own.succeeded += 1;
    send(response, 200, { path: request.url });
  }

  private setLimitHeaders(response: ServerResponse, remaining: number, resetSeconds: number): void {
    response.setHeader('RateLimit-Limit', String(this.options.limit));
    response.setHeader('RateLimit-Remaining', String(remaining));
    response.setHeader('RateLimit-Reset', String(resetSeconds));
    if (this.options.legacyHeaders) {
      response.setHeader('X-RateLimit-Limit', String(this.options.limit));
      response.setHeader('X-RateLimit-Remaining', String(remaining));
      response.setHeader('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + resetSeconds));
    }
  }
}

/** Most arrivals in any 1,000 ms, and arrivals per second from the first one. */
export function spreadOf(times: readonly number[]): ArrivalSpread {
  const sorted = [...times].sort((a, b) => a - b);
  let maxInAnyWindow = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[start] <= sorted[end] - windowMs) start += 1;
    maxInAnyWindow = Math.max(maxInAnyWindow, end - start + 1);
  }
  const perSecond: number[] = [];
  for (const time of sorted) {
    const second = Math.floor((time - sorted[0]) / windowMs);
    while (perSecond.length <= second) perSecond.push(0);
    perSecond[second] += 1;
  }
  return { maxInAnyWindow, perSecond };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

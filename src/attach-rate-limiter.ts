import { isAxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { RateLimitError } from './errors';
import {
  layerOf,
  setLayer,
  type LimitLayer,
  type OutgoingRequest,
  type Transport,
} from './pipeline';
import { rateLimitHeaders, readServerLimits } from './rate-limit-headers';
import { RateLimiter, type Turn } from './rate-limiter';

/** Options of {@link attachRateLimiter}. */
export interface AttachRateLimiterOptions {
  /** The limiter to share; by default a new one with `limit`. */
  rateLimiter?: RateLimiter;
  /** Requests per second for a new limiter; `-1` (the default): only the server's figures count. */
  limit?: number;
  /**
   * How many times a request answered with 429 is sent again before it fails with
   * {@link RateLimitError} `RATE_LIMITED`.
   * @default 3
   */
  maxRetries?: number;
  /**
   * The longest `Retry-After` to wait for; a 429 asking for longer fails at once.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

/** The first backoff step when a 429 says nothing of when to retry, ms. */
const backoffBaseMs = 500;

/**
 * Limits the requests of an axios instance to the platform's rate: each request, replays and
 * retries included, waits for its turn in one queue (a strict sliding window of `limit` per
 * 1,000 ms); a 429 pauses the whole queue for its `Retry-After` (or an exponential backoff with
 * full jitter) and the request is sent again, up to `maxRetries`. A 429 means the server did not
 * act on the request, so any method is sent again. With {@link attachOAuth2} on the same
 * instance, in either order, the token is set when a request leaves the queue, a replay after a
 * 401 takes a new turn, and a request made while a refresh runs without waiting for it (the
 * refresh call itself) goes ahead of the queue.
 *
 * Attaching again replaces the instance's earlier limiter.
 *
 * @returns `detach()`, which takes the limit off the instance again (requests already queued
 * still leave in turn).
 * @throws TypeError or RangeError naming the option that is wrong.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { attachRateLimiter } from '@aspro-cloud/miniapp-jssdk';
 *
 * const api = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1' });
 * const detach = attachRateLimiter(api, { limit: 10 });
 * ```
 */
export function attachRateLimiter(
  instance: AxiosInstance,
  options: AttachRateLimiterOptions = {},
): () => void {
  const { maxRetries = 3, maxRetryAfterMs = 60_000 } = options;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError('attachRateLimiter options.maxRetries: pass 0 or a positive integer.');
  }
  if (!(maxRetryAfterMs >= 0)) {
    throw new RangeError('attachRateLimiter options.maxRetryAfterMs: pass 0 or more ms.');
  }
  const rateLimiter = options.rateLimiter ?? new RateLimiter({ limit: options.limit ?? -1 });
  if (!(rateLimiter instanceof RateLimiter)) {
    throw new TypeError('attachRateLimiter options.rateLimiter must be a RateLimiter.');
  }

  const layer: LimitLayer = {
    transport: (request, deliver, urgent) => (prepare, ready) =>
      sendInTurn(request, deliver, prepare, ready, urgent),
  };
  setLayer(instance, 'limit', layer);

  /** Sends the request when its turn comes; answers a 429 by sending it again in a later turn. */
  function sendInTurn(
    request: OutgoingRequest,
    deliver: Transport,
    prepare: Parameters<Transport>[0],
    ready: Parameters<Transport>[1],
    urgent: boolean,
  ): Promise<AxiosResponse> {
    const queue = (retries: number): Promise<AxiosResponse> => {
      const now = rateLimiter.takeNow(urgent);
      if (now) return leave(now, retries);
      const { turn, cancel } = rateLimiter.take(urgent);
      return request.bound(turn).then(
        (granted) => leave(granted, retries),
        (error: unknown) => {
          cancel();
          throw error;
        },
      );
    };
    const leave = (turn: Turn, retries: number): Promise<AxiosResponse> => {
      // A refresh began while it queued: the token it would carry is rejected; wait, then queue again.
      const refreshing = ready?.();
      if (refreshing) {
        turn.giveBack();
        return refreshing.then(() => queue(retries));
      }
      return deliver(prepare).then(
        (response) => answered(turn, retries, response, undefined),
        (error: unknown) => answered(turn, retries, undefined, error),
      );
    };
    const answered = (
      turn: Turn,
      retries: number,
      response: AxiosResponse | undefined,
      error: unknown,
    ): AxiosResponse | Promise<AxiosResponse> => {
      turn.answered();
      const answer = response ?? (isAxiosError(error) ? error.response : undefined);
      if (!answer) throw error;
      const header = rateLimitHeaders(answer.headers);
      const limits = header ? readServerLimits(header) : {};
      if (header) rateLimiter.observe({ remaining: limits.remaining, resetAt: limits.resetAt });
      if (answer.status !== 429) {
        if (response) return response;
        throw error;
      }
      const retryAfterMs = limits.retryAfterMs ?? null;
      const rejection = error ?? answer;
      // The server asked everyone to wait: the queue pauses (as long as this attachment waits at
      // most) even when this request gives up.
      if (retryAfterMs !== null) {
        rateLimiter.observe({ retryAfterMs: Math.min(retryAfterMs, maxRetryAfterMs) });
      }
      // A caller whose validateStatus accepts 429 gets the last 429 instead of an error.
      const giveUp = (why: string): AxiosResponse => {
        if (response) return response;
        throw tooMany(why, rejection, retryAfterMs);
      };
      if (retryAfterMs !== null && retryAfterMs > maxRetryAfterMs) {
        return giveUp(`asked to wait ${retryAfterMs} ms, over maxRetryAfterMs`);
      }
      if (retries >= maxRetries) {
        return giveUp(`answered 429 ${retries + 1} times (maxRetries ${maxRetries})`);
      }
      if (!request.body.replayable) {
        return giveUp('answered 429 to a stream body, which cannot be sent twice: buffer it');
      }
      // Full jitter: a random wait up to the doubled step, so that clients do not retry in step.
      if (retryAfterMs === null) {
        const backoffMs = Math.random() * Math.min(maxRetryAfterMs, backoffBaseMs * 2 ** retries);
        rateLimiter.observe({ retryAfterMs: backoffMs });
      }
      return queue(retries + 1);
    };
    return queue(0);
  }

  return () => {
    if (layerOf(instance, 'limit') === layer) setLayer(instance, 'limit', null);
  };
}

function tooMany(why: string, cause: unknown, retryAfterMs: number | null): RateLimitError {
  return new RateLimitError(
    'RATE_LIMITED',
    `The server's rate limit refused this request: it ${why}. Send fewer requests or try again later; retryAfterMs says when the server asked for.`,
    { cause, retryAfterMs },
  );
}

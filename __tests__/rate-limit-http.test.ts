import { Readable } from 'node:stream';
import axios, { AxiosError, CanceledError, type AxiosInstance } from 'axios';
import { OAuth2, RateLimitError, RateLimiter, attachOAuth2, attachRateLimiter } from '../src';
import { resetOAuth2 } from './helpers/setup';
import { WindowApi, maxInWindow, type WindowApiOptions } from './helpers/window-api';

jest.setTimeout(20_000);

type AdapterName = 'http' | 'fetch';

let api: WindowApi | undefined;
const limiters: RateLimiter[] = [];

async function start(options: WindowApiOptions): Promise<WindowApi> {
  api = await WindowApi.start(options);
  return api;
}

function client(adapter: AdapterName, server: WindowApi): AxiosInstance {
  return axios.create({ baseURL: server.origin, adapter });
}

function limiterOf(limit: number): RateLimiter {
  const limiter = new RateLimiter({ limit });
  limiters.push(limiter);
  return limiter;
}

/** The index in `/item/<index>` (`-1` for other paths). */
function indexOf(path: string): number {
  const match = /^\/item\/(\d+)/.exec(path);
  return match ? Number(match[1]) : -1;
}

afterEach(async () => {
  for (const limiter of limiters.splice(0)) limiter.destroy();
  jest.restoreAllMocks();
  resetOAuth2();
  await api?.stop();
  api = undefined;
});

describe.each<AdapterName>(['http', 'fetch'])(
  'rate limit over real HTTP, %s adapter',
  (adapter) => {
    /**
     * The server enforces exactly 1,000 ms on arrivals: the limiter holds a request's place until
     * a window after its answer, so the arrival (between leaving and the answer) is covered.
     */
    const graceMs = 0;

    it('(a) 30 concurrent requests, limit 10 known: all succeed, no 429, window kept, order kept', async () => {
      const server = await start({ limit: 10, windowMs: 1000 - graceMs });
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, index) => instance.get(`/item/${index}`)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(30).fill(200));
      expect(server.arrivals.filter((arrival) => arrival.status === 429)).toHaveLength(0);
      expect(server.arrivals).toHaveLength(30);
      expect(
        maxInWindow(
          server.arrivals.map((arrival) => arrival.at),
          1000 - graceMs,
        ),
      ).toBeLessThanOrEqual(10);
      expect(server.arrivals.map((arrival) => indexOf(arrival.path))).toEqual(
        Array.from({ length: 30 }, (_, index) => index),
      );
    });

    it('(a) strict: the server never sees more than L arrivals in any 1000 ms', async () => {
      const server = await start({ limit: 10 });
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      await Promise.all(Array.from({ length: 20 }, (_, index) => instance.get(`/item/${index}`)));
      expect(server.arrivals.filter((arrival) => arrival.status === 429)).toHaveLength(0);
      expect(maxInWindow(server.arrivals.map((arrival) => arrival.at))).toBeLessThanOrEqual(10);
    });

    it('(b) limit unknown: 429s with Retry-After 1 pause the queue, are retried, all succeed', async () => {
      const server = await start({ limit: 5, retryAfter: '1' });
      const instance = client(adapter, server);
      const rateLimiter = limiterOf(-1);
      attachRateLimiter(instance, { rateLimiter });
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) => instance.get(`/item/${index}`)),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      const refused = server.arrivals.filter((arrival) => arrival.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(5);
      const first429 = Math.min(...refused.map((arrival) => arrival.answeredAt));
      const firstSends = new Set<number>();
      const retries = server.arrivals.filter((arrival) => {
        const index = indexOf(arrival.path);
        if (firstSends.has(index)) return true;
        firstSends.add(index);
        return false;
      });
      expect(retries).toHaveLength(refused.length);
      // Nothing arrives in the pause that the first 429 started (the client hears it after it left).
      for (const retry of retries) expect(retry.at).toBeGreaterThanOrEqual(first429 + 1000);
      // Only the first sends, all in flight before any 429 came back, arrive in the pause.
      expect(
        server.arrivals
          .filter((arrival) => arrival.at > first429 && arrival.at < first429 + 1000)
          .every((arrival) => !retries.includes(arrival)),
      ).toBe(true);
      expect(rateLimiter.processing).toBe(false);
    });

    it('(c) maxRetries exhausted: RATE_LIMITED with the 429 as cause and retryAfterMs', async () => {
      const server = await start({ limit: -1, retryAfter: '0.05' });
      server.always429 = true;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10, maxRetries: 2 });
      const error = await instance.get('/item/0').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 50 });
      const cause = (error as RateLimitError).cause;
      expect(cause).toBeInstanceOf(AxiosError);
      expect((cause as AxiosError).response?.status).toBe(429);
      expect(server.arrivals).toHaveLength(3);
      // Each retry waited for the Retry-After.
      for (let i = 1; i < 3; i += 1) {
        expect(server.arrivals[i].at).toBeGreaterThanOrEqual(
          server.arrivals[i - 1].answeredAt + 50,
        );
      }
    });

    it('(c) a Retry-After of a day over maxRetryAfterMs: that request fails, the others wait no longer than maxRetryAfterMs', async () => {
      const server = await start({ limit: -1, retryAfter: '86400' });
      server.force429 = 1;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10, maxRetryAfterMs: 200 });
      const refused = await instance.get('/item/0').catch((caught: unknown) => caught);
      expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 86_400_000 });
      // Waiting the day would outlast the test's timeout.
      await expect(instance.get('/item/1')).resolves.toMatchObject({ status: 200 });
    });

    it('(c) validateStatus that accepts 429: sent again up to maxRetries, then the last 429 is the answer', async () => {
      const server = await start({ limit: -1, retryAfter: '0.01' });
      server.always429 = true;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10, maxRetries: 1 });
      const response = await instance.get('/item/0', { validateStatus: () => true });
      expect(response.status).toBe(429);
      expect(server.arrivals).toHaveLength(2);
    });

    it('(d) postForm answered 429, with only the limiter attached: the same form is sent again', async () => {
      const server = await start({ limit: -1, retryAfter: '0' });
      server.force429 = 1;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      await expect(instance.postForm('/form', { a: '1', b: 'two' })).resolves.toMatchObject({
        status: 200,
      });
      expect(server.arrivals).toHaveLength(2);
      expect(server.arrivals[1].body.toString()).toBe(server.arrivals[0].body.toString());
      expect(server.arrivals[1].body.toString()).toContain('two');
    });

    it('(c) without Retry-After: full-jitter backoff, then RATE_LIMITED with retryAfterMs null', async () => {
      const server = await start({ limit: -1, retryAfter: null });
      server.always429 = true;
      jest.spyOn(Math, 'random').mockReturnValue(0.02); // 10 ms, then 20 ms
      const instance = client(adapter, server);
      attachRateLimiter(instance, { maxRetries: 2 });
      const error = await instance.get('/item/0').catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        name: 'RateLimitError',
        code: 'RATE_LIMITED',
        retryAfterMs: null,
      });
      expect(server.arrivals).toHaveLength(3);
      expect(server.arrivals[1].at - server.arrivals[0].answeredAt).toBeGreaterThanOrEqual(10);
      expect(server.arrivals[2].at - server.arrivals[1].answeredAt).toBeGreaterThanOrEqual(20);
    });

    it('(c) Retry-After over maxRetryAfterMs: fails at once with RATE_LIMITED', async () => {
      const server = await start({ limit: -1, retryAfter: '120' });
      server.force429 = 1;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      // Waiting the 120 s would outlast the test's timeout.
      const error = await instance.get('/item/0').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 120_000 });
      expect(((error as RateLimitError).cause as AxiosError).response?.status).toBe(429);
      expect(server.arrivals).toHaveLength(1);
    });

    it('(d) a POST with a per-request transformRequest answered 429 is resent with identical bytes', async () => {
      const server = await start({ limit: -1, retryAfter: '0' });
      server.force429 = 2;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      let transforms = 0;
      const response = await instance.post(
        '/item/0',
        { name: 'Ann', list: [1, 2, 3] },
        {
          transformRequest: [
            (data: Record<string, unknown>, headers) => {
              transforms += 1;
              headers.set('Content-Type', 'application/json');
              return JSON.stringify({ ...data, transform: transforms });
            },
          ],
        },
      );
      expect(response.status).toBe(200);
      expect(transforms).toBe(1);
      expect(server.arrivals.map((arrival) => arrival.status)).toEqual([429, 429, 200]);
      const bodies = server.arrivals.map((arrival) => arrival.body.toString('utf8'));
      expect(bodies[0]).toBe('{"name":"Ann","list":[1,2,3],"transform":1}');
      expect(bodies).toEqual([bodies[0], bodies[0], bodies[0]]);
    });

    it('(d) a stream body answered 429: RATE_LIMITED, never resent empty', async () => {
      const server = await start({ limit: -1, retryAfter: '0' });
      server.force429 = 1;
      const instance = client(adapter, server);
      attachRateLimiter(instance, { limit: 10 });
      const error = await instance
        .post('/item/0', Readable.from([Buffer.from('chunk-1;'), Buffer.from('chunk-2')]), {
          headers: { 'Content-Type': 'application/octet-stream' },
        })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        name: 'RateLimitError',
        code: 'RATE_LIMITED',
        retryAfterMs: 0,
      });
      expect(server.arrivals).toHaveLength(1);
      expect(server.arrivals[0].body.toString()).toBe('chunk-1;chunk-2');
    });

    describe.each(['oauth2 first', 'limiter first'])('(e) with OAuth2, %s', (order) => {
      it('expired token, 20 requests, limit 10: 1 refresh, 20 succeed, window kept, new token after', async () => {
        const server = await start({
          limit: 10,
          token: 'access-0',
          latencyMs: 5,
          windowMs: 1000 - graceMs,
        });
        const instance = client(adapter, server);
        let refreshedAt = Infinity;
        OAuth2.initialize({
          accessToken: 'access-0',
          refreshToken: 'refresh-0',
          refreshHandler: async ({ refreshToken }) =>
            (
              await instance.post(
                '/oauth/token',
                { refresh_token: refreshToken },
                { skipOAuth2: true },
              )
            ).data as { access_token: string; refresh_token: string },
          events: {
            onRefresh: () => {
              refreshedAt = performance.now();
            },
          },
        });
        const rateLimiter = limiterOf(10);
        if (order === 'oauth2 first') {
          attachOAuth2(instance);
          attachRateLimiter(instance, { rateLimiter });
        } else {
          attachRateLimiter(instance, { rateLimiter });
          attachOAuth2(instance);
        }
        server.token = 'revoked';
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, index) => instance.get(`/item/${index}`)),
        );
        expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
        const refreshes = server.arrivals.filter((arrival) => arrival.path === '/oauth/token');
        expect(refreshes).toHaveLength(1);
        // Only the first window went out on the old token: the requests queued behind the refresh
        // gave their turn back and waited for it.
        expect(server.arrivals.filter((arrival) => arrival.status === 401)).toHaveLength(10);
        expect(server.generation).toBe(1);
        expect(server.arrivals.filter((arrival) => arrival.status === 429)).toHaveLength(0);
        expect(
          maxInWindow(
            server.arrivals.map((arrival) => arrival.at),
            1000 - graceMs,
          ),
        ).toBeLessThanOrEqual(10);
        // Every request that left after the refresh carried the new token.
        const after = server.arrivals.filter((arrival) => arrival.at > refreshedAt);
        expect(after.length).toBeGreaterThan(0);
        for (const arrival of after) expect(arrival.authorization).toBe('Bearer access-1');
        // The refresh went ahead of the 10 requests queued before it.
        const refresh = refreshes[0];
        const queued = server.arrivals.filter((arrival) => indexOf(arrival.path) >= 10);
        expect(queued.every((arrival) => arrival.at > refresh.at)).toBe(true);
      });
    });

    it('(f) an aborted request waiting in the queue rejects with CanceledError at once, never sent', async () => {
      const server = await start({ limit: -1 });
      const instance = client(adapter, server);
      const rateLimiter = limiterOf(1);
      attachRateLimiter(instance, { rateLimiter });
      const first = instance.get('/item/0');
      const controller = new AbortController();
      const aborted = instance
        .get('/item/1', { signal: controller.signal })
        .catch((caught: unknown) => caught);
      const third = instance.get('/item/2');
      await server.arrived(1);
      expect(rateLimiter.processing).toBe(true);
      controller.abort();
      const error = await aborted;
      // Rejected at once: before the next window, where the third request leaves.
      expect(server.arrivals).toHaveLength(1);
      expect(error).toBeInstanceOf(CanceledError);
      expect(axios.isCancel(error)).toBe(true);
      await Promise.all([first, third]);
      expect(server.arrivals.map((arrival) => arrival.path)).toEqual(['/item/0', '/item/2']);
      // The canceled request gave its slot up: the third left one window after the first, not
      // two.
      expect(server.arrivals[1].at - server.arrivals[0].at).toBeLessThan(2000);
    });

    it('(f) a request whose timeout passes in the queue rejects as axios would, never sent', async () => {
      const server = await start({ limit: -1 });
      const instance = client(adapter, server);
      const rateLimiter = limiterOf(1);
      attachRateLimiter(instance, { rateLimiter });
      const first = instance.get('/item/0');
      const startedAt = performance.now();
      const error = await instance
        .get('/item/1', { timeout: 150 })
        .catch((caught: unknown) => caught);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
      // Rejected in the queue, before its turn came a window after the first.
      expect(server.arrivals).toHaveLength(1);
      expect(error).toBeInstanceOf(AxiosError);
      expect((error as AxiosError).code).toBe(adapter === 'fetch' ? 'ETIMEDOUT' : 'ECONNABORTED');
      expect((error as AxiosError).message).toBe('timeout of 150ms exceeded');
      expect(rateLimiter.processing).toBe(false);
      await first;
      const later = await instance.get('/item/2');
      expect(later.status).toBe(200);
      expect(server.arrivals.map((arrival) => arrival.path)).toEqual(['/item/0', '/item/2']);
    });

    it('(g) detach(): later requests are not queued', async () => {
      const server = await start({ limit: -1 });
      const instance = client(adapter, server);
      const rateLimiter = limiterOf(1);
      const detach = attachRateLimiter(instance, { rateLimiter });
      await instance.get('/item/0');
      detach();
      const lastQueued = rateLimiter.lastRequestTime;
      await Promise.all(
        Array.from({ length: 10 }, (_, index) => instance.get(`/item/${index + 1}`)),
      );
      expect(rateLimiter.lastRequestTime).toBe(lastQueued);
      expect(server.arrivals).toHaveLength(11);
      expect(rateLimiter.processing).toBe(false);
      expect(rateLimiter.remaining).toBe(0); // only the first was counted
      detach(); // again: nothing
    });
  },
);

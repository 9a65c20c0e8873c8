/**
 * Named faults not covered elsewhere; docs/reliability.md lists every fault with its test.
 */
import axios, { AxiosError, isCancel } from 'axios';
import { OAuth2, attachOAuth2 } from '../src';
import {
  countingRefreshHandler,
  deferred,
  flushPromises,
  interceptorCount,
  mockedApi,
  resetOAuth2,
  staleTokenParams,
  until,
} from './helpers/setup';
import { TokenApi } from './helpers/token-api';

afterEach(() => {
  resetOAuth2();
  jest.useRealTimers();
});

describe('fault matrix', () => {
  it('destroy() during a replay: the replay finishes without the plugin, nothing hangs', async () => {
    const refresh = countingRefreshHandler();
    const oauth2 = OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    const replayArrived = deferred<void>();
    const finishReplay = deferred<void>();
    api.mock.reset();
    api.mock.onGet('/x').replyOnce(401, {});
    api.mock.onGet('/x').replyOnce(async () => {
      replayArrived.resolve();
      await finishReplay.promise;
      return [200, { replayed: true }];
    });
    attachOAuth2(api.instance);
    const request = api.instance.get('/x');
    await replayArrived.promise;
    oauth2.destroy();
    expect(interceptorCount(api.instance)).toBe(0);
    finishReplay.resolve();
    await expect(request).resolves.toMatchObject({ data: { replayed: true } });
  });

  it('initialize() during a refresh returns the same instance and the refresh completes once', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const first = OAuth2.initialize(staleTokenParams(refresh.handler));
    const waiting = first.refresh();
    const onRefresh = jest.fn();
    const second = OAuth2.initialize({ accessToken: 'ignored', events: { onRefresh } });
    expect(second).toBe(first);
    refresh.release();
    await expect(waiting).resolves.toMatchObject({ accessToken: 'token-1' });
    expect(onRefresh).toHaveBeenCalledTimes(1);
    expect(refresh.calls).toBe(1);
  });

  it('an abort after the wait, during the replay, cancels the replay like any request', async () => {
    const server = await TokenApi.start({ apiLatencyMs: 200, refreshLatencyMs: 0 });
    try {
      const tokenClient = axios.create({ baseURL: server.origin });
      OAuth2.initialize({
        ...server.currentTokens,
        refreshHandler: async ({ refreshToken }) =>
          (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data,
      });
      const client = axios.create({ baseURL: `${server.origin}/api/v1` });
      attachOAuth2(client);
      server.expireAccessToken();
      const controller = new AbortController();
      const request = client.get('/x', { signal: controller.signal });
      await server.apiHitsReached(2);
      controller.abort();
      expect(isCancel(await request.catch((error: unknown) => error))).toBe(true);
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 2, succeeded: 0 });
    } finally {
      await server.stop();
    }
  });

  it('a server slower than the axios timeout: a timeout error, no refresh', async () => {
    const server = await TokenApi.start({ apiLatencyMs: 300 });
    try {
      const refresh = countingRefreshHandler();
      OAuth2.initialize({ ...server.currentTokens, refreshHandler: refresh.handler });
      const client = axios.create({ baseURL: `${server.origin}/api/v1`, timeout: 50 });
      attachOAuth2(client);
      const error = (await client.get('/slow').catch((caught: unknown) => caught)) as AxiosError;
      expect(error.code).toBe('ECONNABORTED');
      expect(refresh.calls).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it("the instance's own interceptors before and after ours keep working, on replays too", async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    const order: string[] = [];
    api.instance.interceptors.request.use((config) => {
      order.push('before');
      config.headers.set('X-Before', '1');
      return config;
    });
    attachOAuth2(api.instance);
    api.instance.interceptors.request.use(async (config) => {
      order.push('after');
      config.headers.set('X-After', '1');
      return config;
    });
    const seenResponses: number[] = [];
    api.instance.interceptors.response.use((response) => {
      seenResponses.push(response.status);
      return response;
    });
    api.mock.reset();
    api.mock.onGet('/x').reply((config) => {
      const headers = config.headers ?? {};
      const ok =
        headers.Authorization === 'Bearer token-1' && headers['X-Before'] && headers['X-After'];
      return ok ? [200, {}] : [401, {}];
    });
    await expect(api.instance.get('/x')).resolves.toMatchObject({ status: 200 });
    expect(order).toEqual(['after', 'before']);
    expect(seenResponses).toEqual([200]);
    expect(refresh.calls).toBe(1);
  });

  it('an unwrapping response interceptor added after attachOAuth2 unwraps a replayed response once', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    api.instance.interceptors.response.use((response) => response.data);
    await expect(api.instance.get('/x')).resolves.toEqual({ ok: true, url: '/x' });
    expect(api.seen).toEqual(['token-0', 'token-1']);
  });

  it('a transformRequest that adds headers keeps the token, and the replay gets the new one', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    api.instance.defaults.transformRequest = [
      (data, headers) => {
        headers.set('X-Signature', 'signed');
        return JSON.stringify(data ?? {});
      },
    ];
    attachOAuth2(api.instance);
    await expect(api.instance.post('/x', { a: 1 })).resolves.toMatchObject({ status: 200 });
    expect(api.seen).toEqual(['token-0', 'token-1']);
  });

  it('a transformRequest that strips Authorization cannot drop the token: it is set after the transforms', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    api.instance.defaults.transformRequest = [
      (data, headers) => {
        headers.delete('Authorization');
        return data;
      },
    ];
    attachOAuth2(api.instance);
    await expect(api.instance.get('/x')).resolves.toMatchObject({ status: 200 });
    expect(api.seen).toEqual(['token-0', 'token-1']);
    expect(refresh.calls).toBe(1);
  });

  it.each([
    ['first attached, first detached', [0, 1]],
    ['first attached, last detached', [1, 0]],
  ])(
    'two instances detached in different orders (%s) leave nothing behind',
    async (_label, order) => {
      const refresh = countingRefreshHandler();
      const oauth2 = OAuth2.initialize(staleTokenParams(refresh.handler));
      const apis = [mockedApi('token-1'), mockedApi('token-1')];
      const detaches = apis.map((api) => attachOAuth2(api.instance));
      detaches[order[0]]();
      expect(interceptorCount(apis[order[0]].instance)).toBe(0);
      expect(interceptorCount(apis[order[1]].instance)).toBe(1);
      await expect(apis[order[1]].instance.get('/x')).resolves.toMatchObject({ status: 200 });
      detaches[order[1]]();
      expect(apis.map((api) => interceptorCount(api.instance))).toEqual([0, 0]);
      oauth2.destroy();
      expect(refresh.calls).toBe(1);
    },
  );

  it('the clock jumping past the expiry: the next request refreshes first', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const refresh = countingRefreshHandler();
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: '2026-01-01 01:00:00' });
    const api = mockedApi('token-0');
    attachOAuth2(api.instance);
    await api.instance.get('/before');
    jest.setSystemTime(Date.parse('2026-01-01T02:00:00Z'));
    api.validToken = 'token-1';
    await api.instance.get('/after');
    expect(api.seen).toEqual(['token-0', 'token-1']);
    expect(refresh.calls).toBe(1);
  });

  it('a handler that answers after the timeout: waiters fail, its late tokens are adopted', async () => {
    jest.useFakeTimers();
    const late = deferred<{ accessToken: string }>();
    const onRefresh = jest.fn();
    const oauth2 = OAuth2.initialize({
      accessToken: 'old',
      refreshHandler: () => late.promise,
      refreshTimeoutMs: 1000,
      events: { onRefresh },
    });
    const outcome = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await outcome).toMatchObject({ code: 'REFRESH_TIMEOUT' });
    late.resolve({ accessToken: 'late' });
    await flushPromises();
    expect(oauth2.accessToken).toBe('late');
    expect(onRefresh).toHaveBeenCalledTimes(1);
  });

  it('a refresh started while a timed-out one still awaits its answer does not spend the refresh token twice', async () => {
    jest.useFakeTimers();
    let issued = 'refresh-0';
    const spent: string[] = [];
    const oauth2 = OAuth2.initialize({
      accessToken: 'access-0',
      refreshToken: 'refresh-0',
      refreshTimeoutMs: 100,
      refreshHandler: async ({ refreshToken }) => {
        spent.push(refreshToken);
        const call = spent.length;
        if (refreshToken !== issued) throw new Error('invalid_grant');
        issued = `refresh-${call}`;
        await new Promise((resolve) => setTimeout(resolve, call === 1 ? 150 : 5));
        return { access_token: `access-${call}`, refresh_token: issued };
      },
    });
    const first = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(100);
    expect(await first).toMatchObject({ code: 'REFRESH_TIMEOUT' });
    const second = oauth2.refresh();
    await jest.advanceTimersByTimeAsync(60);
    await expect(second).resolves.toMatchObject({ accessToken: 'access-1' });
    expect(spent).toEqual(['refresh-0']);
    expect(oauth2.refreshToken).toBe('refresh-1');
    const third = oauth2.refresh();
    await jest.advanceTimersByTimeAsync(10);
    await expect(third).resolves.toMatchObject({ accessToken: 'access-2' });
    expect(spent).toEqual(['refresh-0', 'refresh-1']);
  });

  it('an answer that never comes is awaited for one more refreshTimeoutMs only, then the handler is called again', async () => {
    jest.useFakeTimers();
    let calls = 0;
    const oauth2 = OAuth2.initialize({
      refreshTimeoutMs: 100,
      refreshHandler: () => {
        calls += 1;
        return calls === 1
          ? new Promise<never>(() => undefined)
          : Promise.resolve({ accessToken: `access-${calls}` });
      },
    });
    const first = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(100);
    expect(await first).toMatchObject({ code: 'REFRESH_TIMEOUT' });
    const joined = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(100);
    expect(await joined).toMatchObject({ code: 'REFRESH_TIMEOUT' });
    expect(calls).toBe(1);
    await expect(oauth2.refresh()).resolves.toMatchObject({ accessToken: 'access-2' });
    expect(calls).toBe(2);
  });

  it('a storm whose onRefresh handler throws still replays every request', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const refresh = countingRefreshHandler();
    OAuth2.initialize({
      ...staleTokenParams(refresh.handler),
      events: {
        onRefresh: () => {
          throw new Error('handler bug');
        },
      },
    });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => api.instance.get('/x')),
    );
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    expect(refresh.calls).toBe(1);
    jest.restoreAllMocks();
  });

  it('a refresh ahead of the expiry that fails lets the waiting requests go out; their 401s share one refresh', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: Date.now() - 1 });
    const api = mockedApi('token-2');
    attachOAuth2(api.instance);
    const requests = Array.from({ length: 10 }, () => api.instance.get('/x'));
    await until(() => refresh.calls === 1);
    expect(api.seen).toEqual([]);
    refresh.fail(new Error('network blip'));
    await until(() => refresh.calls === 2);
    refresh.release();
    const outcomes = await Promise.allSettled(requests);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(api.seen).toEqual([...Array(10).fill('token-0'), ...Array(10).fill('token-2')]);
    expect(refresh.calls).toBe(2);
  });
});

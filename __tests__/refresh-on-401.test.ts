import axios, { AxiosError, isCancel } from 'axios';
import { OAuth2, OAuth2RefreshError, attachOAuth2 } from '../src';
import {
  countingRefreshHandler,
  deferred,
  flushPromises,
  mockedApi,
  resetOAuth2,
  staleTokenParams,
  until,
} from './helpers/setup';

afterEach(() => {
  resetOAuth2();
  jest.useRealTimers();
});

async function settle<T>(promises: Promise<T>[]) {
  const outcomes = await Promise.allSettled(promises);
  return {
    fulfilled: outcomes.filter((o) => o.status === 'fulfilled').length,
    reasons: outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : [])),
  };
}

describe('on a 401', () => {
  it('refreshes once and replays the request with the new token', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const response = await api.instance.get('/core/user/list');
    expect(response.status).toBe(200);
    expect(api.seen).toEqual(['token-0', 'token-1']);
    expect(refresh.calls).toBe(1);
  });

  it('turns a storm of 200 concurrent 401s into one refresh, 200 replays and one onRefresh', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const onRefresh = jest.fn();
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), events: { onRefresh } });
    const api = mockedApi('token-1');
    api.latencyMs = 1;
    attachOAuth2(api.instance);
    const requests = Array.from({ length: 200 }, (_, index) => api.instance.get(`/item/${index}`));
    await until(() => api.seen.length >= 200);
    refresh.release();
    const { fulfilled } = await settle(requests);
    expect(fulfilled).toBe(200);
    expect(refresh.calls).toBe(1);
    expect(onRefresh).toHaveBeenCalledTimes(1);
    expect(api.seen.filter((token) => token === 'token-0')).toHaveLength(200);
    expect(api.seen.filter((token) => token === 'token-1')).toHaveLength(200);
  });

  it('holds requests issued during the refresh and sends them only with the new token', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const first = api.instance.get('/first');
    await until(() => OAuth2.getInstance().isRefreshing);
    const during = Array.from({ length: 20 }, () => api.instance.get('/during'));
    await flushPromises();
    expect(api.seen).toEqual(['token-0']);
    refresh.release();
    const { fulfilled } = await settle([first, ...during]);
    expect(fulfilled).toBe(21);
    expect(api.seen.slice(1).every((token) => token === 'token-1')).toBe(true);
    expect(refresh.calls).toBe(1);
  });

  it('replays without refreshing when the rejected token was already replaced', async () => {
    const refresh = countingRefreshHandler();
    const oauth2 = OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    const gate = deferred<void>();
    api.mock.reset();
    api.mock.onGet('/slow').replyOnce(async () => {
      await gate.promise;
      return [401, {}];
    });
    api.mock.onGet('/slow').reply(200, { replayed: true });
    attachOAuth2(api.instance);
    const slow = api.instance.get('/slow');
    await flushPromises();
    await oauth2.refresh();
    gate.resolve();
    await expect(slow).resolves.toMatchObject({ data: { replayed: true } });
    expect(refresh.calls).toBe(1);
  });

  it('fails with the 401 when the replay is rejected too: no loop', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('never-valid');
    attachOAuth2(api.instance);
    const error = (await api.instance.get('/x').catch((caught: unknown) => caught)) as AxiosError;
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.response?.status).toBe(401);
    expect(api.seen).toEqual(['token-0', 'token-1']);
    expect(refresh.calls).toBe(1);
  });

  it('fails every waiting request with OAuth2RefreshError when the refresh fails', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const onRefreshError = jest.fn();
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), events: { onRefreshError } });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const requests = Array.from({ length: 30 }, () => api.instance.get('/x'));
    await until(() => api.seen.length >= 30);
    const cause = new Error('refused');
    refresh.fail(cause);
    const { reasons } = await settle(requests);
    expect(reasons).toHaveLength(30);
    expect(reasons.every((reason) => reason instanceof OAuth2RefreshError)).toBe(true);
    expect((reasons[0] as OAuth2RefreshError).cause).toBe(cause);
    expect(refresh.calls).toBe(1);
    expect(onRefreshError).toHaveBeenCalledTimes(1);
    expect(OAuth2.getInstance().accessToken).toBe('token-0');
  });

  it('requests in flight when a refresh failed share that failure instead of refreshing again', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const oauth2 = OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    const gate = deferred<void>();
    api.mock.reset();
    api.mock.onGet('/late').reply(async () => {
      await gate.promise;
      return [401, {}];
    });
    attachOAuth2(api.instance);
    const late = api.instance.get('/late');
    await flushPromises();
    const failed = oauth2.refresh().catch((error: unknown) => error);
    refresh.fail(new Error('refused'));
    const failure = await failed;
    gate.resolve();
    await expect(late).rejects.toBe(failure);
    expect(refresh.calls).toBe(1);
  });

  it('a request sent after a failed refresh starts a fresh one on its 401', async () => {
    let attempt = 0;
    OAuth2.initialize(
      staleTokenParams(async () => {
        attempt += 1;
        if (attempt === 1) throw new Error('first refresh fails');
        return { accessToken: 'token-1' };
      }),
    );
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    await expect(api.instance.get('/a')).rejects.toBeInstanceOf(OAuth2RefreshError);
    await expect(api.instance.get('/b')).resolves.toMatchObject({ status: 200 });
    expect(attempt).toBe(2);
  });

  it.each([
    ['a 403', 403, {}, {}],
    ['a 500', 500, {}, {}],
    [
      'a 401 whose challenge says insufficient_scope',
      401,
      {},
      { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    ],
    ['a 401 whose body says insufficient_scope', 401, { error: 'insufficient_scope' }, {}],
  ])('does not refresh on %s', async (_label, status, body, headers) => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-0');
    api.mock.reset();
    api.mock.onAny().reply(status, body, headers);
    attachOAuth2(api.instance);
    const error = (await api.instance.get('/x').catch((caught: unknown) => caught)) as AxiosError;
    expect(error.response?.status).toBe(status);
    expect(refresh.calls).toBe(0);
  });

  it.each([
    ['a network error', (api: ReturnType<typeof mockedApi>) => api.mock.onAny().networkError()],
    ['a timeout', (api: ReturnType<typeof mockedApi>) => api.mock.onAny().timeout()],
  ])('does not refresh on %s', async (_label, arrange) => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-0');
    api.mock.reset();
    arrange(api);
    attachOAuth2(api.instance);
    await expect(api.instance.get('/x')).rejects.toBeInstanceOf(AxiosError);
    expect(refresh.calls).toBe(0);
  });

  it('uses options.shouldRefresh to decide', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    api.mock.reset();
    api.mock.onAny().replyOnce(419, {}).onAny().reply(200, {});
    attachOAuth2(api.instance, { shouldRefresh: (error) => error.response?.status === 419 });
    await expect(api.instance.get('/x')).resolves.toMatchObject({ status: 200 });
    expect(refresh.calls).toBe(1);
  });

  it('does not refresh on the 401 of a request sent with skipOAuth2', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    await expect(api.instance.get('/x', { skipOAuth2: true })).rejects.toBeInstanceOf(AxiosError);
    expect(refresh.calls).toBe(0);
  });

  it('does not refresh on the 401 of a request to a foreign origin', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    await expect(api.instance.get('https://other.example/x')).rejects.toBeInstanceOf(AxiosError);
    expect(refresh.calls).toBe(0);
  });

  it('several instances attached to one OAuth2 share one refresh', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const apis = [mockedApi('token-1'), mockedApi('token-1'), mockedApi('token-1')];
    apis.forEach((api) => attachOAuth2(api.instance));
    const requests = apis.flatMap((api) => [api.instance.get('/a'), api.instance.get('/b')]);
    await until(() => apis.every((api) => api.seen.length >= 2));
    refresh.release();
    const { fulfilled } = await settle(requests);
    expect(fulfilled).toBe(6);
    expect(refresh.calls).toBe(1);
  });

  it('a detach while a request waits for the refresh fails that request with its 401', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    const detach = attachOAuth2(api.instance);
    const request = api.instance.get('/x');
    await until(() => api.seen.length >= 1);
    detach();
    refresh.release();
    const error = (await request.catch((caught: unknown) => caught)) as AxiosError;
    expect(error.response?.status).toBe(401);
    expect(api.seen).toEqual(['token-0']);
  });

  it('destroy() while requests wait rejects them instead of leaving them hanging', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const oauth2 = OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const requests = [api.instance.get('/a'), api.instance.get('/b')];
    await until(() => api.seen.length >= 2 && refresh.calls === 1);
    await flushPromises();
    oauth2.destroy();
    const { reasons } = await settle(requests);
    expect(reasons.map((reason) => (reason as OAuth2RefreshError).code)).toEqual([
      'DESTROYED',
      'DESTROYED',
    ]);
  });
});

describe('with a known expiry', () => {
  it('refreshes before sending a token known to be expired: no stale request at all', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: Date.now() - 1000 });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const requests = Array.from({ length: 50 }, () => api.instance.get('/x'));
    await flushPromises();
    expect(api.seen).toEqual([]);
    refresh.release();
    const { fulfilled } = await settle(requests);
    expect(fulfilled).toBe(50);
    expect(api.seen).toEqual(Array(50).fill('token-1'));
    expect(refresh.calls).toBe(1);
  });

  it('counts a token within expirySkewMs of its expiry as expired', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const refresh = countingRefreshHandler();
    OAuth2.initialize({
      ...staleTokenParams(refresh.handler),
      expiresAt: '2026-01-01 00:00:04',
      expirySkewMs: 5000,
    });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    await api.instance.get('/x');
    expect(api.seen).toEqual(['token-1']);
  });

  it('sends a token that is not yet near its expiry without refreshing', async () => {
    const refresh = countingRefreshHandler();
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: Date.now() + 60_000 });
    const api = mockedApi('token-0');
    attachOAuth2(api.instance);
    await api.instance.get('/x');
    expect(refresh.calls).toBe(0);
  });

  it('a proactive refresh that fails: the request goes out with the old token, its 401 tries once more, then fails', async () => {
    let calls = 0;
    const oauth2 = OAuth2.initialize({
      ...staleTokenParams(async () => {
        calls += 1;
        throw new Error('no');
      }),
      expiresAt: Date.now() - 1000,
    });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    await expect(api.instance.get('/x')).rejects.toBeInstanceOf(OAuth2RefreshError);
    expect(api.seen).toEqual(['token-0']);
    expect(calls).toBe(2);
    expect(oauth2.accessToken).toBe('token-0');
  });
});

describe('aborting', () => {
  it('an abort while waiting for the refresh rejects that request at once, and the others go on', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: Date.now() - 1000 });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const controller = new AbortController();
    const aborted = api.instance.get('/aborted', { signal: controller.signal });
    const other = api.instance.get('/other');
    await flushPromises();
    controller.abort();
    const error = await aborted.catch((caught: unknown) => caught);
    expect(isCancel(error)).toBe(true);
    expect(refresh.calls).toBe(1);
    refresh.release();
    await expect(other).resolves.toMatchObject({ status: 200 });
    expect(api.seen).toEqual(['token-1']);
  });

  it('an abort while a 401 waits for the refresh rejects at once without a replay', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize(staleTokenParams(refresh.handler));
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const controller = new AbortController();
    const request = api.instance.get('/x', { signal: controller.signal });
    await until(() => OAuth2.getInstance().isRefreshing);
    controller.abort();
    expect(isCancel(await request.catch((caught: unknown) => caught))).toBe(true);
    refresh.release();
    await flushPromises();
    expect(api.seen).toEqual(['token-0']);
    expect(OAuth2.getInstance().accessToken).toBe('token-1');
  });

  it('a request aborted before it starts is rejected as canceled', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    OAuth2.initialize({ ...staleTokenParams(refresh.handler), expiresAt: Date.now() - 1000 });
    const api = mockedApi('token-1');
    attachOAuth2(api.instance);
    const controller = new AbortController();
    controller.abort();
    expect(
      isCancel(
        await api.instance.get('/x', { signal: controller.signal }).catch((e: unknown) => e),
      ),
    ).toBe(true);
    refresh.release();
  });
});

describe('a refreshHandler that calls the API itself', () => {
  it('does not deadlock when its request is marked skipOAuth2', async () => {
    const api = mockedApi('token-1');
    api.mock.reset();
    api.mock.onPost('/oauth/token').reply(200, { access_token: 'token-1' });
    api.mock
      .onAny()
      .reply((config) =>
        config.headers?.Authorization === 'Bearer token-1' ? [200, {}] : [401, {}],
      );
    OAuth2.initialize({
      accessToken: 'token-0',
      expiresAt: Date.now() - 1000,
      refreshHandler: async () =>
        (await api.instance.post('/oauth/token', {}, { skipOAuth2: true })).data,
      refreshTimeoutMs: 60_000,
    });
    attachOAuth2(api.instance);
    await expect(api.instance.get('/x')).resolves.toMatchObject({ status: 200 });
  });

  it('without skipOAuth2 is bounded by refreshTimeoutMs instead of hanging', async () => {
    jest.useFakeTimers();
    const api = mockedApi('token-1');
    OAuth2.initialize({
      accessToken: 'token-0',
      refreshHandler: async () => (await api.instance.post('/oauth/token')).data,
      refreshTimeoutMs: 1000,
    });
    attachOAuth2(api.instance);
    const outcome = api.instance.get('/x').catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await outcome).toMatchObject({ code: 'REFRESH_TIMEOUT' });
  });
});

describe('a wait within the request timeout', () => {
  it('the send after a wait gets what is left of the timeout; one without a wait gets it whole', async () => {
    jest.useFakeTimers();
    const timeouts: unknown[] = [];
    const instance = axios.create({
      baseURL: 'https://example.aspro.cloud',
      adapter: async (config) => {
        timeouts.push(config.timeout);
        return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
      },
    });
    OAuth2.initialize({
      accessToken: 'token-0',
      expiresAt: Date.now() - 1000,
      refreshHandler: () =>
        new Promise((resolve) => setTimeout(() => resolve({ accessToken: 'token-1' }), 300)),
    });
    attachOAuth2(instance);
    const waited = instance.get('/x', { timeout: 1000 });
    await jest.advanceTimersByTimeAsync(300);
    await expect(waited).resolves.toMatchObject({ config: { timeout: 1000 } });
    await instance.get('/y', { timeout: 1000 });
    expect(timeouts).toEqual([700, 1000]);
  });
});

describe('the happy path', () => {
  it('runs synchronously: the adapter is called before axios returns control', () => {
    OAuth2.initialize({ accessToken: 'token-0', expiresAt: Date.now() + 60_000 });
    const instance = axios.create({ baseURL: 'https://example.aspro.cloud' });
    const adapter = jest.fn(async () => ({
      data: {},
      status: 200,
      statusText: 'OK',
      headers: {},
      config: {} as never,
    }));
    instance.defaults.adapter = adapter;
    attachOAuth2(instance);
    void instance.get('/x');
    expect(adapter).toHaveBeenCalledTimes(1);
  });
});

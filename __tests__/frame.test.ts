import MockAdapter from 'axios-mock-adapter';
import {
  App,
  Frame,
  FrameInitializationError,
  OAuth2,
  OAuth2RefreshError,
  PlatformTimeoutError,
  RateLimitError,
  RateLimiter,
  Rest,
} from '../src';
import { createPlatformHost } from '../src/platform';
import { createResult, type BridgeRequest, type FrameContext } from '../src/protocol';
import { sampleContext } from './helpers/context';
import { connectedWindows } from './helpers/fake-windows';
import { bearerOf, countingRefreshHandler, resetOAuth2, until } from './helpers/setup';

const appOrigin = 'https://app.example.com';

afterEach(() => {
  try {
    Frame.getInstance().destroy();
  } catch {
    // no frame
  }
  resetOAuth2();
  jest.useRealTimers();
});

function platform(options: { context?: FrameContext; refresh?: () => Promise<object> } = {}) {
  const windows = connectedWindows('https://example.aspro.cloud', appOrigin);
  let refreshes = 0;
  const refresh = jest.fn(
    options.refresh ??
      (async (): Promise<object> => {
        refreshes += 1;
        return {
          access_token: `access-${refreshes}`,
          refresh_token: 'refresh-n',
          expires_in: 3600,
        };
      }),
  );
  const host = createPlatformHost({
    iframe: windows.iframe,
    origin: appOrigin,
    context: () => options.context ?? sampleContext,
    // Deliberately loose: some tests hand the host malformed results.
    refresh: refresh as never,
    window: windows.platformWindow,
  });
  return { ...windows, host, refresh };
}

describe('App.initializeFrame', () => {
  it('performs the handshake and exposes the context, OAuth2 and Rest', async () => {
    const { frameWindow } = platform();
    const onReady = jest.fn();
    const frame = await App.initializeFrame({ window: frameWindow, events: { onReady } });
    expect(frame.domain).toBe('example.aspro.cloud');
    expect(frame.https).toBe(true);
    expect(frame.language).toBe('en');
    expect(frame.uniqid).toBe('placement-7');
    expect(frame.targetOrigin).toBe('https://example.aspro.cloud');
    expect(frame.rest).toBe(Rest.getInstance());
    expect(frame.rest.oauth2).toBe(OAuth2.getInstance());
    expect(frame.rest.oauth2.accessToken).toBe('access-0');
    expect(frame.rest.oauth2.expiresAt?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
    expect(frame.rest.axios.defaults.baseURL).toBe('https://example.aspro.cloud/api/v1');
    expect(onReady).toHaveBeenCalledTimes(1);
    expect(onReady).toHaveBeenCalledWith({ domain: 'example.aspro.cloud' });
    expect(frame.getContext()).toEqual(sampleContext);
  });

  it('resolves concurrent and later calls to the same frame, with one handshake', async () => {
    const { frameWindow, toPlatform } = platform();
    const [first, second] = await Promise.all([
      App.initializeFrame({ window: frameWindow }),
      Frame.initialize({ window: frameWindow }),
    ]);
    expect(second).toBe(first);
    expect(await App.initializeFrame()).toBe(first);
    expect(Frame.getInstance()).toBe(first);
    expect(
      toPlatform.filter((posted) => (posted.message as BridgeRequest).method === 'context'),
    ).toHaveLength(1);
  });

  it('uses http for a context with https: false, and FrameParams.apiBaseURL when given', async () => {
    const { frameWindow } = platform({
      context: { ...sampleContext, https: false, domain: 'localhost:8080' },
    });
    const frame = await App.initializeFrame({ window: frameWindow });
    expect(frame.rest.axios.defaults.baseURL).toBe('http://localhost:8080/api/v1');
    frame.destroy();
    const again = await App.initializeFrame({
      window: frameWindow,
      apiBaseURL: 'https://api.example.com/v2',
    });
    expect(again.rest.axios.defaults.baseURL).toBe('https://api.example.com/v2');
  });

  it('a burst of rest.get on a stale token: one platform refresh, all succeed, onRefresh once', async () => {
    // A limit above the burst: this test is about the refresh (the rate limit has its own).
    const { frameWindow, refresh } = platform({
      context: { ...sampleContext, ratelimit: { limit: 100 } },
    });
    const frame = await App.initializeFrame({ window: frameWindow });
    const onRefresh = jest.fn();
    frame.rest.oauth2.events = { onRefresh };
    const mock = new MockAdapter(frame.rest.axios);
    mock
      .onGet('/core/user/list')
      .reply((config) => (bearerOf(config) === 'access-1' ? [200, { items: [] }] : [401, {}]));
    const results = await Promise.all(
      Array.from({ length: 40 }, () => frame.rest.get('/core/user/list', { limit: 5 })),
    );
    expect(results).toEqual(Array(40).fill({ items: [] }));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith({ refreshToken: 'refresh-0' });
    expect(onRefresh).toHaveBeenCalledTimes(1);
    expect(frame.getContext().auth.access_token).toBe('access-1');
  });

  it('a platform that does not rotate the refresh token (it sends refresh_token and expires_at empty): the current one is kept for the next refresh', async () => {
    let refreshes = 0;
    const { frameWindow, refresh } = platform({
      refresh: async () => ({ access_token: `access-${(refreshes += 1)}` }),
    });
    const frame = await App.initializeFrame({ window: frameWindow });
    const onExpiryDiscarded = jest.fn();
    frame.rest.oauth2.events = { onExpiryDiscarded };
    await frame.rest.oauth2.refresh();
    await frame.rest.oauth2.refresh();
    expect(refresh.mock.calls).toEqual([
      [{ refreshToken: 'refresh-0' }],
      [{ refreshToken: 'refresh-0' }],
    ]);
    expect(frame.rest.oauth2.refreshToken).toBe('refresh-0');
    expect(frame.rest.oauth2.expiresAt).toBeNull();
    expect(onExpiryDiscarded).not.toHaveBeenCalled();
  });

  it("frame.rest.rateLimiter is the RateLimiter singleton, with the context's limit", async () => {
    const { frameWindow } = platform();
    const frame = await App.initializeFrame({ window: frameWindow });
    expect(frame.rest.rateLimiter).toBe(RateLimiter.getInstance());
    expect(frame.rest.rateLimiter.limit).toBe(sampleContext.ratelimit.limit);
    frame.destroy();
    expect(() => RateLimiter.getInstance()).toThrow(RateLimitError);
  });

  it('rest.call is a GET with params, or a POST with data', async () => {
    const { frameWindow } = platform();
    const frame = await App.initializeFrame({ window: frameWindow });
    const mock = new MockAdapter(frame.rest.axios);
    mock.onGet('/core/user/list').reply((config) => [200, { get: config.params }]);
    mock.onPost('/core/user/update/39').reply((config) => [200, { post: config.data }]);
    await expect(
      frame.rest.call({ method: '/core/user/list', params: { limit: 2 } }),
    ).resolves.toEqual({ get: { limit: 2 } });
    await expect(
      frame.rest.call({ method: '/core/user/update/39', data: { name: 'Ann' } }),
    ).resolves.toEqual({ post: JSON.stringify({ name: 'Ann' }) });
    await expect(frame.rest.call({ method: '/core/user/list', type: 'get' })).resolves.toEqual({
      get: undefined,
    });
  });

  it('rest.post sends the body and resolves to the response body', async () => {
    const { frameWindow } = platform();
    const frame = await App.initializeFrame({ window: frameWindow });
    const mock = new MockAdapter(frame.rest.axios);
    mock
      .onPost('/core/task/create')
      .reply((config) => [
        200,
        { echoed: JSON.parse(config.data as string), token: bearerOf(config) },
      ]);
    await expect(frame.rest.post('/core/task/create', { name: 'x' })).resolves.toEqual({
      echoed: { name: 'x' },
      token: 'access-0',
    });
  });

  it('a refused platform refresh fails the calls with OAuth2RefreshError whose cause is the PlatformError', async () => {
    const { frameWindow } = platform({
      refresh: async () =>
        Promise.reject(Object.assign(new Error('no'), { code: 'refresh_denied' })),
    });
    const frame = await App.initializeFrame({ window: frameWindow });
    const mock = new MockAdapter(frame.rest.axios);
    mock.onAny().reply(401, {});
    const error = (await frame.rest
      .get('/x')
      .catch((caught: unknown) => caught)) as OAuth2RefreshError;
    expect(error).toBeInstanceOf(OAuth2RefreshError);
    expect(error.cause).toMatchObject({ name: 'PlatformError', platformCode: 'refresh_denied' });
    expect(frame.rest.oauth2.accessToken).toBe('access-0');
  });

  it('a platform that never answers the refresh: REFRESH_TIMEOUT after timeoutMs', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { frameWindow } = platform({ refresh: () => new Promise(() => undefined) });
    const frame = await App.initializeFrame({ window: frameWindow, timeoutMs: 2000 });
    const outcome = frame.rest.oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(2000);
    const error = (await outcome) as OAuth2RefreshError;
    expect(error).toBeInstanceOf(OAuth2RefreshError);
    expect(error.code).toBe('REFRESH_TIMEOUT');
    // The bridge gives the answer up one timeout later: nothing is left waiting.
    await jest.advanceTimersByTimeAsync(2000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a platform that answers after timeoutMs: callers fail with REFRESH_TIMEOUT, the late tokens are adopted', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { frameWindow, refresh } = platform({
      refresh: () =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve({ access_token: 'access-late', refresh_token: 'refresh-late' }),
            3000,
          ),
        ),
    });
    const frame = await App.initializeFrame({ window: frameWindow, timeoutMs: 2000 });
    const refreshed: string[] = [];
    frame.rest.oauth2.events = { onRefresh: (tokens) => refreshed.push(tokens.accessToken) };
    const outcome = frame.rest.oauth2.refresh().catch((error: unknown) => error);
    await until(() => refresh.mock.calls.length === 1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(await outcome).toMatchObject({ code: 'REFRESH_TIMEOUT' });
    await jest.advanceTimersByTimeAsync(1000);
    await until(() => refreshed.length > 0);
    expect(refreshed).toEqual(['access-late']);
    expect(frame.rest.oauth2.refreshToken).toBe('refresh-late');
  });

  it('a platform that never answers the handshake: PlatformTimeoutError, and nothing left listening', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const windows = connectedWindows('https://example.aspro.cloud', appOrigin);
    const start = App.initializeFrame({ window: windows.frameWindow, timeoutMs: 1000 }).catch(
      (error: unknown) => error,
    );
    await jest.advanceTimersByTimeAsync(1000);
    expect(await start).toBeInstanceOf(PlatformTimeoutError);
    expect(windows.frameListeners.size).toBe(0);
    expect(() => Frame.getInstance()).toThrow(FrameInitializationError);
  });

  it('a malformed context rejects with FrameInitializationError INVALID_CONTEXT', async () => {
    const { frameWindow } = platform({
      context: { ...sampleContext, domain: 'evil.example/path?' },
    });
    await expect(App.initializeFrame({ window: frameWindow })).rejects.toMatchObject({
      code: 'INVALID_CONTEXT',
    });
  });

  it('a context whose auth has an unreadable expiry is INVALID_CONTEXT too', async () => {
    const { frameWindow } = platform({
      context: { ...sampleContext, auth: { ...sampleContext.auth, expires_at: 'soon' } },
    });
    await expect(App.initializeFrame({ window: frameWindow })).rejects.toMatchObject({
      code: 'INVALID_CONTEXT',
    });
  });

  it('outside an iframe rejects with NOT_IN_FRAME', async () => {
    const windows = connectedWindows();
    const top = { ...windows.frameWindow } as typeof windows.frameWindow;
    (top as { parent: unknown }).parent = top;
    await expect(App.initializeFrame({ window: top })).rejects.toMatchObject({
      name: 'FrameInitializationError',
      code: 'NOT_IN_FRAME',
    });
  });

  it('adopts the tokens into an OAuth2 singleton created earlier, keeping its event handlers', async () => {
    const onRefresh = jest.fn();
    const early = OAuth2.initialize({ events: { onRefresh } });
    const { frameWindow } = platform();
    const frame = await App.initializeFrame({ window: frameWindow });
    expect(frame.rest.oauth2).toBe(early);
    expect(early.accessToken).toBe('access-0');
    await early.refresh();
    expect(onRefresh).toHaveBeenCalledTimes(1);
  });

  it('destroy() releases everything so that initializeFrame() starts afresh', async () => {
    const { frameWindow, frameListeners } = platform();
    const frame = await App.initializeFrame({ window: frameWindow });
    const waiting = frame.rest.oauth2.refresh();
    frame.destroy();
    await expect(waiting).rejects.toMatchObject({ code: 'DESTROYED' });
    expect(frameListeners.size).toBe(0);
    expect(() => Frame.getInstance()).toThrow(FrameInitializationError);
    expect(() => Rest.getInstance()).toThrow(FrameInitializationError);
    expect(() => OAuth2.getInstance()).toThrow();
    const again = await App.initializeFrame({ window: frameWindow });
    expect(again).not.toBe(frame);
  });

  it('ignores a forged refresh answer from a sibling frame and keeps the old token', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { frameWindow, toPlatform, deliverToFrame } = platform({
      refresh: () => new Promise(() => undefined),
    });
    const frame = await App.initializeFrame({ window: frameWindow, timeoutMs: 1000 });
    const outcome = frame.rest.oauth2.refresh().catch((error: unknown) => error);
    await until(() =>
      toPlatform.some((posted) => (posted.message as BridgeRequest).method === 'refresh'),
    );
    const request = toPlatform.find(
      (posted) => (posted.message as BridgeRequest).method === 'refresh',
    )!.message as BridgeRequest;
    deliverToFrame(
      createResult(request.id, { access_token: 'forged' }),
      'https://example.aspro.cloud',
      { sibling: true },
    );
    deliverToFrame(createResult(request.id, { access_token: 'forged' }), 'https://evil.example');
    await jest.advanceTimersByTimeAsync(1000);
    expect(await outcome).toBeInstanceOf(OAuth2RefreshError);
    expect(frame.rest.oauth2.accessToken).toBe('access-0');
  });
});

describe('a trusted platform', () => {
  it.each([
    ['a referrer', { referrer: 'https://evil.example/page' }],
    ['location.ancestorOrigins', { referrer: '', ancestor: 'https://evil.example' }],
    ['an explicit targetOrigin', { targetOrigin: 'https://evil.example' }],
    [
      'a look-alike of the vendor domain',
      { referrer: 'https://example.aspro.cloud.evil.example/' },
    ],
    ['the vendor domain over http', { referrer: 'http://example.aspro.cloud/' }],
  ])(
    'a platform origin found from %s that matches no platformOrigins: UNTRUSTED_PLATFORM before any message',
    async (_label, source: { referrer?: string; ancestor?: string; targetOrigin?: string }) => {
      const windows = connectedWindows('https://evil.example', appOrigin, source.referrer);
      if (source.ancestor) windows.frameWindow.location.ancestorOrigins = [source.ancestor];
      const failure = await App.initializeFrame({
        window: windows.frameWindow,
        targetOrigin: source.targetOrigin,
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(FrameInitializationError);
      expect(failure).toMatchObject({ code: 'UNTRUSTED_PLATFORM' });
      const message = (failure as Error).message;
      expect(message).toContain(
        new URL(source.referrer || source.ancestor || source.targetOrigin || '').origin,
      );
      expect(message).toContain('platformOrigins');
      expect(windows.toPlatform).toHaveLength(0);
    },
  );

  it('trusts the vendor origins by default, and a custom domain given in platformOrigins', async () => {
    for (const [platformOrigin, platformOrigins] of [
      ['https://acme.aspro.cloud', undefined],
      ['https://aspro.cloud', undefined],
      ['https://crm.acme.example', ['https://crm.acme.example']],
      ['https://eu.crm.acme.example', ['https://*.crm.acme.example']],
    ] as const) {
      const windows = connectedWindows(platformOrigin, appOrigin);
      await App.initializeFrame({
        window: windows.frameWindow,
        platformOrigins,
        timeoutMs: 20,
      }).catch(() => undefined);
      expect(windows.toPlatform.map((posted) => posted.targetOrigin)).toEqual([platformOrigin]);
    }
  });

  it('App.platformOrigins sets the default, for pages that call initializeFrame() without arguments', async () => {
    const before = App.platformOrigins;
    App.platformOrigins = ['http://127.0.0.1:8080'];
    try {
      const windows = connectedWindows('http://127.0.0.1:8080', appOrigin);
      await App.initializeFrame({ window: windows.frameWindow, timeoutMs: 20 }).catch(
        () => undefined,
      );
      expect(windows.toPlatform).toHaveLength(1);
      const vendor = connectedWindows('https://acme.aspro.cloud', appOrigin);
      await expect(App.initializeFrame({ window: vendor.frameWindow })).rejects.toMatchObject({
        code: 'UNTRUSTED_PLATFORM',
      });
    } finally {
      App.platformOrigins = before;
    }
  });

  it.each([
    ['*'],
    ['https://example.aspro.cloud/apps'],
    ['example.aspro.cloud'],
    ['https://*.cloud'],
  ])('refuses platformOrigins [%p] with a TypeError saying how to write it', async (pattern) => {
    const windows = connectedWindows();
    await expect(
      App.initializeFrame({ window: windows.frameWindow, platformOrigins: [pattern] }),
    ).rejects.toThrow(/FrameParams\.platformOrigins.*'https:\/\/\*\.example\.com'/);
    expect(windows.toPlatform).toHaveLength(0);
  });
});

describe('targetOrigin', () => {
  it('comes from FrameParams.targetOrigin first', async () => {
    const windows = connectedWindows(
      'https://example.aspro.cloud',
      appOrigin,
      'https://elsewhere.example/',
    );
    const start = App.initializeFrame({
      window: windows.frameWindow,
      targetOrigin: 'https://example.aspro.cloud',
      timeoutMs: 50,
    });
    await start.catch(() => undefined);
    expect(windows.toPlatform[0].targetOrigin).toBe('https://example.aspro.cloud');
  });

  it.each(['*', 'example.aspro.cloud', 'javascript:alert(1)'])(
    'refuses FrameParams.targetOrigin %p',
    async (targetOrigin) => {
      const windows = connectedWindows();
      await expect(
        App.initializeFrame({ window: windows.frameWindow, targetOrigin }),
      ).rejects.toThrow(TypeError);
      expect(windows.toPlatform).toHaveLength(0);
    },
  );

  it("falls back to location.ancestorOrigins when the referrer is empty or the frame's own", async () => {
    for (const referrer of ['', `${appOrigin}/page-2`]) {
      const windows = connectedWindows('https://example.aspro.cloud', appOrigin, referrer);
      windows.frameWindow.location.ancestorOrigins = ['https://example.aspro.cloud'];
      await App.initializeFrame({ window: windows.frameWindow, timeoutMs: 50 }).catch(
        () => undefined,
      );
      expect(windows.toPlatform[0].targetOrigin).toBe('https://example.aspro.cloud');
    }
  });

  it('rejects with NO_TARGET_ORIGIN instead of guessing', async () => {
    const windows = connectedWindows('https://example.aspro.cloud', appOrigin, '');
    await expect(App.initializeFrame({ window: windows.frameWindow })).rejects.toMatchObject({
      name: 'FrameInitializationError',
      code: 'NO_TARGET_ORIGIN',
    });
    expect(windows.toPlatform).toHaveLength(0);
  });

  it('rejects a non-positive timeoutMs with a RangeError', async () => {
    const { frameWindow } = platform();
    await expect(App.initializeFrame({ window: frameWindow, timeoutMs: 0 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('Rest without a frame', () => {
  it('Rest.getInstance() says to initialize the frame first', () => {
    expect(() => Rest.getInstance()).toThrow(/App\.initializeFrame/);
  });

  it('is usable with a counting handler outside a frame too', async () => {
    const refresh = countingRefreshHandler();
    const oauth2 = new OAuth2({ accessToken: 'token-0', refreshHandler: refresh.handler });
    const rest = new Rest(oauth2, 'https://example.aspro.cloud/api/v1');
    const mock = new MockAdapter(rest.axios);
    mock.onGet('/x').reply((config) => (bearerOf(config) === 'token-1' ? [200, 'ok'] : [401, {}]));
    await expect(rest.get('/x')).resolves.toBe('ok');
    rest.destroy();
    oauth2.destroy();
  });
});

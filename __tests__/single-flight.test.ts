import { OAuth2, OAuth2RefreshError, type OAuth2RefreshResultLike } from '../src';
import { countingRefreshHandler, deferred, flushPromises, resetOAuth2 } from './helpers/setup';

afterEach(() => {
  resetOAuth2();
  jest.restoreAllMocks();
  jest.useRealTimers();
});

describe('refresh(): one flight for every caller', () => {
  it('gives concurrent callers the same promise and calls the handler once', async () => {
    const refresh = countingRefreshHandler({ gated: true });
    const oauth2 = OAuth2.initialize({
      refreshToken: 'refresh-0',
      refreshHandler: refresh.handler,
    });
    const calls = Array.from({ length: 50 }, () => oauth2.refresh());
    expect(new Set(calls).size).toBe(1);
    await flushPromises();
    refresh.release();
    const results = await Promise.all(calls);
    expect(refresh.calls).toBe(1);
    expect(results.every((result) => result.accessToken === 'token-1')).toBe(true);
  });

  it('passes the current refresh token to the handler', async () => {
    const refreshHandler = jest.fn(async () => ({ accessToken: 'new' }));
    const oauth2 = OAuth2.initialize({ refreshToken: 'refresh-0', refreshHandler });
    await oauth2.refresh();
    expect(refreshHandler).toHaveBeenCalledWith({ refreshToken: 'refresh-0' });
  });

  it('updates the tokens, then fires onRefresh once, then releases the callers', async () => {
    const order: string[] = [];
    const oauth2 = OAuth2.initialize({
      accessToken: 'old',
      refreshHandler: async () => ({
        accessToken: 'new',
        refreshToken: 'r2',
        expiresAt: Date.now() + 60_000,
      }),
      events: {
        onRefresh: (data) =>
          order.push(`onRefresh:${data.accessToken}:${OAuth2.getInstance().accessToken}`),
      },
    });
    await Promise.all([
      oauth2.refresh().then((result) => order.push(`caller:${result.accessToken}`)),
      oauth2.refresh().then((result) => order.push(`caller:${result.accessToken}`)),
    ]);
    expect(order).toEqual(['onRefresh:new:new', 'caller:new', 'caller:new']);
    expect(oauth2.refreshToken).toBe('r2');
  });

  it('starts a new flight once the previous one settled', async () => {
    const refresh = countingRefreshHandler();
    const oauth2 = OAuth2.initialize({ refreshHandler: refresh.handler });
    await oauth2.refresh();
    await oauth2.refresh();
    expect(refresh.calls).toBe(2);
    expect(oauth2.accessToken).toBe('token-2');
  });

  it.each<[string, OAuth2RefreshResultLike, string, string]>([
    [
      'camelCase',
      { accessToken: 'a', refreshToken: 'r', expiresAt: '2026-01-01T01:00:00Z' },
      'r',
      '2026-01-01T01:00:00.000Z',
    ],
    [
      'snake_case',
      { access_token: 'a', refresh_token: 'r', expires_at: '2026-01-01 01:00:00' },
      'r',
      '2026-01-01T01:00:00.000Z',
    ],
    [
      'expires_in seconds',
      { access_token: 'a', expires_in: 60 },
      'refresh-0',
      '2026-01-01T00:01:00.000Z',
    ],
    [
      'expires_in as a string of digits',
      { access_token: 'a', expires_in: '60' },
      'refresh-0',
      '2026-01-01T00:01:00.000Z',
    ],
    [
      "platform's empty refresh_token and expires_at (not rotated, lifetime given)",
      { access_token: 'a', refresh_token: '', expires_at: '', expires_in: 60 },
      'refresh-0',
      '2026-01-01T00:01:00.000Z',
    ],
    [
      'mixed (empty camelCase, filled snake_case)',
      {
        accessToken: 'a',
        refreshToken: '',
        refresh_token: 'r',
        expiresAt: '',
        expires_at: '2026-01-01 01:00:00',
      },
      'r',
      '2026-01-01T01:00:00.000Z',
    ],
  ])('accepts a %s result', async (_label, result, refreshToken, expiresAt) => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const oauth2 = OAuth2.initialize({
      refreshToken: 'refresh-0',
      refreshHandler: async () => result,
    });
    await expect(oauth2.refresh()).resolves.toEqual({
      accessToken: 'a',
      refreshToken,
      expiresAt: new Date(expiresAt),
    });
    expect(oauth2.accessToken).toBe('a');
    expect(oauth2.refreshToken).toBe(refreshToken);
  });

  it('hands out copies: mutating a result does not change the held tokens', async () => {
    const oauth2 = OAuth2.initialize({ refreshHandler: async () => ({ accessToken: 'a' }) });
    const result = await oauth2.refresh();
    result.accessToken = 'mutated';
    expect(oauth2.accessToken).toBe('a');
  });
});

describe('refresh(): failures', () => {
  function failingOAuth2(refreshHandler: () => unknown) {
    const onRefreshError = jest.fn();
    const onRefresh = jest.fn();
    const oauth2 = OAuth2.initialize({
      accessToken: 'old-access',
      refreshToken: 'old-refresh',
      expiresAt: '2099-01-01 00:00:00',
      refreshHandler: refreshHandler as never,
      events: { onRefresh, onRefreshError },
    });
    return { oauth2, onRefresh, onRefreshError };
  }

  function expectOldTokens(oauth2: OAuth2): void {
    expect(oauth2.accessToken).toBe('old-access');
    expect(oauth2.refreshToken).toBe('old-refresh');
    expect(oauth2.expiresAt?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
  }

  it('rejects every caller with one OAuth2RefreshError whose cause is the handler error', async () => {
    const cause = new Error('platform said no');
    const { oauth2, onRefresh, onRefreshError } = failingOAuth2(() => Promise.reject(cause));
    const outcomes = await Promise.allSettled([
      oauth2.refresh(),
      oauth2.refresh(),
      oauth2.refresh(),
    ]);
    const reasons = outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason);
    expect(reasons[0]).toBeInstanceOf(OAuth2RefreshError);
    expect(reasons[0]).toMatchObject({ name: 'OAuth2RefreshError', code: 'REFRESH_FAILED', cause });
    expect(new Set(reasons).size).toBe(1);
    expect(onRefreshError).toHaveBeenCalledTimes(1);
    expect(onRefreshError).toHaveBeenCalledWith(reasons[0]);
    expect(onRefresh).not.toHaveBeenCalled();
    expectOldTokens(oauth2);
  });

  it.each<[string, () => unknown, string]>([
    [
      'throws synchronously',
      () => {
        throw new Error('sync');
      },
      'REFRESH_FAILED',
    ],
    ['resolves to undefined', async () => undefined, 'INVALID_REFRESH_RESULT'],
    ['resolves to a string', async () => 'token', 'INVALID_REFRESH_RESULT'],
    [
      'resolves without an access token',
      async () => ({ refreshToken: 'r' }),
      'INVALID_REFRESH_RESULT',
    ],
    [
      'resolves to an empty access token',
      async () => ({ accessToken: '' }),
      'INVALID_REFRESH_RESULT',
    ],
    [
      'resolves to a non-string refresh token',
      async () => ({ accessToken: 'a', refreshToken: 7 }),
      'INVALID_REFRESH_RESULT',
    ],
    [
      'resolves to a refresh token that is false',
      async () => ({ access_token: 'a', refresh_token: false }),
      'INVALID_REFRESH_RESULT',
    ],
  ])(
    'fails with OAuth2RefreshError and keeps the old tokens when the handler %s',
    async (_label, handler, code) => {
      const { oauth2, onRefreshError } = failingOAuth2(handler);
      await expect(oauth2.refresh()).rejects.toMatchObject({ name: 'OAuth2RefreshError', code });
      expect(onRefreshError).toHaveBeenCalledTimes(1);
      expectOldTokens(oauth2);
    },
  );

  it('fails with NO_REFRESH_HANDLER when no handler was given, saying how to give one', async () => {
    const oauth2 = OAuth2.initialize({ accessToken: 'a' });
    await expect(oauth2.refresh()).rejects.toMatchObject({ code: 'NO_REFRESH_HANDLER' });
    await expect(oauth2.refresh()).rejects.toThrow(/refreshHandler/);
  });

  it('never poisons the next refresh', async () => {
    let attempt = 0;
    const { oauth2 } = failingOAuth2(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('first fails');
      return { accessToken: 'second' };
    });
    await expect(oauth2.refresh()).rejects.toBeInstanceOf(OAuth2RefreshError);
    await expect(oauth2.refresh()).resolves.toMatchObject({ accessToken: 'second' });
  });

  it('fails with REFRESH_TIMEOUT when the handler never settles, and clears its timer', async () => {
    jest.useFakeTimers();
    const oauth2 = OAuth2.initialize({
      refreshHandler: () => new Promise(() => undefined),
      refreshTimeoutMs: 1000,
    });
    const outcome = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(999);
    expect(oauth2.isRefreshing).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ name: 'OAuth2RefreshError', code: 'REFRESH_TIMEOUT' });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('uses a 30 s timeout by default', async () => {
    jest.useFakeTimers();
    const oauth2 = OAuth2.initialize({ refreshHandler: () => new Promise(() => undefined) });
    const outcome = oauth2.refresh().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(29_999);
    expect(oauth2.isRefreshing).toBe(true);
    await jest.advanceTimersByTimeAsync(1);
    expect(await outcome).toMatchObject({ code: 'REFRESH_TIMEOUT' });
  });

  it('clears the timeout timer when the handler answers', async () => {
    jest.useFakeTimers();
    const oauth2 = OAuth2.initialize({ refreshHandler: async () => ({ accessToken: 'a' }) });
    await oauth2.refresh();
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each<[string, OAuth2RefreshResultLike, string]>([
    [
      'an unreadable expiry',
      { accessToken: 'a', refreshToken: 'r', expiresAt: 'later' },
      'unreadable',
    ],
    [
      'a non-numeric expires_in',
      { accessToken: 'a', refreshToken: 'r', expires_in: 'sixty' },
      'unreadable',
    ],
    [
      'a field out of range',
      { accessToken: 'a', refreshToken: 'r', expiresAt: '2026-01-01 10:61:00' },
      'unreadable',
    ],
    [
      'epoch seconds',
      { accessToken: 'a', refreshToken: 'r', expiresAt: 1_775_038_520 },
      'unreadable',
    ],
    [
      'an expiry in the past',
      { accessToken: 'a', refreshToken: 'r', expiresAt: '2001-01-01 00:00:00' },
      'past',
    ],
    [
      'an expires_in beyond any Date',
      { accessToken: 'a', refreshToken: 'r', expires_in: 1e20 },
      'too-far',
    ],
  ])(
    'keeps fresh tokens whose result has %s: expiry unknown, onExpiryDiscarded once, rotated refresh token kept',
    async (_label, result, reason) => {
      const onExpiryDiscarded = jest.fn();
      const onRefresh = jest.fn();
      const oauth2 = OAuth2.initialize({
        refreshToken: 'old-refresh',
        refreshHandler: async () => result,
        events: { onRefresh, onExpiryDiscarded },
      });
      await expect(oauth2.refresh()).resolves.toEqual({
        accessToken: 'a',
        refreshToken: 'r',
        expiresAt: null,
      });
      expect(oauth2.refreshToken).toBe('r');
      expect(onRefresh).toHaveBeenCalledTimes(1);
      expect(onExpiryDiscarded).toHaveBeenCalledTimes(1);
      expect(onExpiryDiscarded.mock.calls[0][0]).toMatchObject({ reason });
    },
  );

  it('never puts a token into an error message', async () => {
    const { oauth2 } = failingOAuth2(async () => ({
      accessToken: 'fresh-secret',
      refreshToken: 7,
    }));
    const error = (await oauth2.refresh().catch((caught: unknown) => caught)) as Error;
    expect(error.message).not.toMatch(/old-access|old-refresh|fresh-secret/);
  });
});

describe('event handlers', () => {
  it('a throwing onRefresh is reported and the refresh still succeeds', async () => {
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const bug = new Error('handler bug');
    const oauth2 = OAuth2.initialize({
      refreshHandler: async () => ({ accessToken: 'a' }),
      events: {
        onRefresh: () => {
          throw bug;
        },
      },
    });
    await expect(oauth2.refresh()).resolves.toMatchObject({ accessToken: 'a' });
    expect(report).toHaveBeenCalledWith(expect.stringContaining('onRefresh'), bug);
  });

  it('a rejecting async onRefreshError is reported and the caller gets the refresh error', async () => {
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const reported = deferred<void>();
    report.mockImplementation(() => reported.resolve());
    const oauth2 = OAuth2.initialize({
      refreshHandler: async () => {
        throw new Error('no');
      },
      events: {
        // An async handler is what this test is about: its rejection must be reported, not lost.
        // eslint-disable-next-line @typescript-eslint/no-misused-promises
        onRefreshError: async () => {
          throw new Error('handler bug');
        },
      },
    });
    await expect(oauth2.refresh()).rejects.toBeInstanceOf(OAuth2RefreshError);
    await reported.promise;
    expect(report).toHaveBeenCalledWith(
      expect.stringContaining('onRefreshError'),
      expect.any(Error),
    );
  });

  it('an onRefresh that calls refresh() again starts a second flight, not a deadlock', async () => {
    const refresh = countingRefreshHandler();
    const second = deferred<unknown>();
    const oauth2 = OAuth2.initialize({
      refreshHandler: refresh.handler,
      events: {
        onRefresh: (data) => {
          if (data.accessToken === 'token-1') second.resolve(OAuth2.getInstance().refresh());
        },
      },
    });
    await oauth2.refresh();
    await expect(second.promise).resolves.toMatchObject({ accessToken: 'token-2' });
    expect(refresh.calls).toBe(2);
  });
});

describe('event handlers that are not functions', () => {
  it('are skipped without an error', async () => {
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const oauth2 = OAuth2.initialize({
      refreshHandler: async () => ({ accessToken: 'a' }),
      events: { onRefresh: 'not a function' as never },
    });
    await expect(oauth2.refresh()).resolves.toMatchObject({ accessToken: 'a' });
    expect(report).not.toHaveBeenCalled();
  });
});

describe('destroy()', () => {
  it('rejects a refresh in flight and its waiters, without firing events', async () => {
    const onRefreshError = jest.fn();
    const refresh = countingRefreshHandler({ gated: true });
    const oauth2 = OAuth2.initialize({
      accessToken: 'old',
      refreshHandler: refresh.handler,
      events: { onRefreshError },
    });
    const waiting = [oauth2.refresh(), oauth2.refresh()];
    oauth2.destroy();
    for (const wait of waiting) await expect(wait).rejects.toMatchObject({ code: 'DESTROYED' });
    refresh.release();
    await flushPromises();
    expect(oauth2.accessToken).toBe('old');
    expect(onRefreshError).not.toHaveBeenCalled();
  });

  it('clears the refresh timer', async () => {
    jest.useFakeTimers();
    const oauth2 = OAuth2.initialize({ refreshHandler: () => new Promise(() => undefined) });
    const wait = oauth2.refresh().catch(() => undefined);
    expect(jest.getTimerCount()).toBe(1);
    oauth2.destroy();
    await wait;
    expect(jest.getTimerCount()).toBe(0);
  });

  it('makes later refresh() calls reject instead of hanging, and can be called twice', async () => {
    const oauth2 = OAuth2.initialize({ refreshHandler: async () => ({ accessToken: 'a' }) });
    oauth2.destroy();
    oauth2.destroy();
    await expect(oauth2.refresh()).rejects.toMatchObject({ code: 'DESTROYED' });
  });
});

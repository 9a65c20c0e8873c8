import { createPlatformHost } from '../src/platform';
import { createRequest, type BridgeResponse } from '../src/protocol';
import { normalizeRefreshResult } from '../src/tokens';
import { sampleContext } from './helpers/context';
import { connectedWindows } from './helpers/fake-windows';
import { until } from './helpers/setup';

const appOrigin = 'https://app.example.com';

function startHost(
  refresh: jest.Mock<Promise<object>, []> = jest.fn(async () => ({
    access_token: 'access-1',
    refresh_token: 'refresh-1',
    expires_in: 60,
  })),
) {
  const windows = connectedWindows('https://example.aspro.cloud', appOrigin);
  const host = createPlatformHost({
    iframe: windows.iframe,
    origin: appOrigin,
    context: sampleContext,
    // Deliberately loose: some tests hand the host malformed results.
    refresh: refresh as never,
    window: windows.platformWindow,
  });
  const answers = () => windows.toFrame.map((posted) => posted.message as BridgeResponse);
  return { ...windows, host, refresh, answers };
}

describe('createPlatformHost', () => {
  it('answers the context handshake, posting only to the iframe origin', async () => {
    const { deliverToPlatform, toFrame, host } = startHost();
    deliverToPlatform(createRequest('id-1', 'context'));
    await until(() => toFrame.length === 1);
    expect(toFrame[0]).toEqual({
      targetOrigin: appOrigin,
      message: expect.objectContaining({ id: 'id-1', ok: true, result: sampleContext }),
    });
    host.destroy();
  });

  it('calls refresh() with the refresh token and answers snake_case auth with expires_at in UTC', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-04-01T10:15:20Z'), doNotFake: ['setImmediate'] });
    const { deliverToPlatform, answers, refresh, host } = startHost();
    deliverToPlatform(createRequest('id-2', 'refresh', { refresh_token: 'refresh-0' }));
    await until(() => answers().length === 1);
    expect(refresh).toHaveBeenCalledWith({ refreshToken: 'refresh-0' });
    expect(answers()[0]).toMatchObject({
      ok: true,
      result: {
        access_token: 'access-1',
        refresh_token: 'refresh-1',
        expires_at: '2026-04-01 10:16:20',
      },
    });
    host.destroy();
    jest.useRealTimers();
  });

  it.each<[string, object, string]>([
    ["expires_in: '60', a string of digits", { expires_in: '60' }, '2026-04-01 10:16:20'],
    ['expires_in: 60', { expires_in: 60 }, '2026-04-01 10:16:20'],
    ['expires_in: -5, which no side reads', { expires_in: -5 }, ''],
    ['expires_in: 1e20, beyond any Date', { expires_in: 1e20 }, ''],
    ['an unreadable expires_at: tokens kept, expiry unknown', { expires_at: 'soon' }, ''],
  ])('reads %s exactly as the mini-app SDK does', async (_label, expiry, expiresAt) => {
    const now = Date.parse('2026-04-01T10:15:20Z');
    jest.useFakeTimers({ now, doNotFake: ['setImmediate'] });
    const result = { access_token: 'access-1', refresh_token: 'refresh-1', ...expiry };
    const { deliverToPlatform, answers, host } = startHost(jest.fn(async () => result));
    deliverToPlatform(createRequest('id-e', 'refresh', { refresh_token: 'refresh-0' }));
    await until(() => answers().length === 1);
    host.destroy();
    jest.useRealTimers();
    expect(answers()[0]).toMatchObject({
      ok: true,
      result: { access_token: 'access-1', refresh_token: 'refresh-1', expires_at: expiresAt },
    });
    const sdk = normalizeRefreshResult(result, 'refresh-0', now).tokens.expiresAt;
    const sdkReading = sdk ? sdk.toISOString().replace('T', ' ').slice(0, 19) : '';
    expect(sdkReading).toBe(expiresAt);
  });

  it.each([
    ['a Date', new Date('2026-04-01T10:15:20Z')],
    ['an ISO string', '2026-04-01T13:15:20+03:00'],
    ['epoch milliseconds', Date.parse('2026-04-01T10:15:20Z')],
  ])('formats an expires_at given as %s', async (_label, expiresAt) => {
    const { deliverToPlatform, answers, host } = startHost(
      jest.fn(async () => ({ access_token: 'a', expires_at: expiresAt })),
    );
    deliverToPlatform(createRequest('id', 'refresh'));
    await until(() => answers().length === 1);
    expect(answers()[0]).toMatchObject({
      result: { expires_at: '2026-04-01 10:15:20', refresh_token: '' },
    });
    host.destroy();
  });

  it('reads an empty expires_at as not given, as the SDK does: the lifetime counts', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-04-01T10:00:00Z'), doNotFake: ['setImmediate'] });
    const { deliverToPlatform, answers, host } = startHost(
      jest.fn(async () => ({ access_token: 'a', expires_at: '', expires_in: 60 })),
    );
    deliverToPlatform(createRequest('id', 'refresh'));
    await until(() => answers().length === 1);
    expect(answers()[0]).toMatchObject({ result: { expires_at: '2026-04-01 10:01:00' } });
    host.destroy();
    jest.useRealTimers();
  });

  it.each<[string, () => Promise<never> | Promise<object>, string]>([
    [
      'a refusal with a code',
      async () =>
        Promise.reject(Object.assign(new Error('logged out'), { code: 'refresh_denied' })),
      'refresh_denied',
    ],
    ['a refusal without a code', async () => Promise.reject(new Error('boom')), 'refresh_failed'],
    [
      'a result without access token',
      async () => ({ refresh_token: 'r' }),
      'invalid_refresh_result',
    ],
  ])('answers %s with an error response', async (_label, refresh, code) => {
    const { deliverToPlatform, answers, host } = startHost(jest.fn(refresh));
    deliverToPlatform(createRequest('id-3', 'refresh'));
    await until(() => answers().length === 1);
    expect(answers()[0]).toMatchObject({ id: 'id-3', ok: false, error: { code } });
    host.destroy();
  });

  it.each<[string, (windows: ReturnType<typeof startHost>) => void]>([
    [
      'another origin',
      (w) => w.deliverToPlatform(createRequest('x', 'context'), 'https://evil.example'),
    ],
    [
      'another window of the right origin',
      (w) => w.deliverToPlatform(createRequest('x', 'context'), appOrigin, {}),
    ],
    [
      'a malformed request',
      (w) => w.deliverToPlatform({ kind: 'request', id: 'x', method: 'context' }),
    ],
    [
      'an unknown method',
      (w) => w.deliverToPlatform({ ...createRequest('x', 'context'), method: 'steal' }),
    ],
    [
      'params that are not strings',
      (w) =>
        w.deliverToPlatform({ ...createRequest('x', 'refresh'), params: { refresh_token: {} } }),
    ],
  ])('ignores a request from %s', async (_label, send) => {
    const windows = startHost();
    send(windows);
    windows.deliverToPlatform(createRequest('marker', 'context'));
    await until(() => windows.answers().length >= 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(windows.answers().map((answer) => answer.id)).toEqual(['marker']);
    expect(windows.refresh).not.toHaveBeenCalled();
    windows.host.destroy();
  });

  it('destroy() stops answering', async () => {
    const { platformListeners, host } = startHost();
    host.destroy();
    expect(platformListeners.size).toBe(0);
  });

  it.each([
    [{ origin: '*' }, /options\.origin/],
    [{ origin: 'https://app.example.com/path' }, /options\.origin/],
    [{ origin: 'app.example.com' }, /options\.origin/],
    [{ refresh: undefined }, /options\.refresh/],
    [{ iframe: null }, /options\.iframe/],
  ])('rejects %p with a TypeError naming the option', (override, name) => {
    const windows = connectedWindows();
    const options = {
      iframe: windows.iframe,
      origin: appOrigin,
      context: sampleContext,
      refresh: async () => ({ access_token: 'a' }),
      window: windows.platformWindow,
      ...override,
    };
    expect(() => createPlatformHost(options as never)).toThrow(TypeError);
    expect(() => createPlatformHost(options as never)).toThrow(name);
  });
});

describe('createPlatformHost: hosts on one page share refreshes', () => {
  afterEach(() => jest.useRealTimers());

  /** A platform page embedding `frames` iframes of the mini-app, one host each. */
  function startPage(frames: number, refresh: jest.Mock, origins = Array(frames).fill(appOrigin)) {
    const windows = origins.map((origin: string) => connectedWindows(undefined, origin));
    const page = {
      addEventListener: (type: 'message', listener: EventListener) =>
        windows.forEach((each) => each.platformWindow.addEventListener(type, listener)),
      removeEventListener: (type: 'message', listener: EventListener) =>
        windows.forEach((each) => each.platformWindow.removeEventListener(type, listener)),
    };
    const hosts = windows.map((each, index) =>
      createPlatformHost({
        iframe: each.iframe,
        origin: origins[index],
        context: sampleContext,
        refresh: refresh as never,
        window: page,
      }),
    );
    /** Frame `index` asks to refresh `token` (none when empty), as the SDK asks. */
    const send = (index: number, token: string) => {
      const { deliverToPlatform, toFrame } = windows[index];
      const params: Record<string, string> = token ? { refresh_token: token } : {};
      deliverToPlatform(createRequest(`id-${toFrame.length}`, 'refresh', params), origins[index]);
    };
    /** Frame `index` asks to refresh `token`; resolves to the answer it gets. */
    const ask = async (index: number, token: string) => {
      const { toFrame } = windows[index];
      const before = toFrame.length;
      send(index, token);
      await until(() => toFrame.length > before);
      return toFrame[before].message as BridgeResponse & { result?: { access_token: string } };
    };
    return { ask, send, destroy: () => hosts.forEach((host) => host.destroy()) };
  }

  function rotatingPlatform() {
    let generation = 0;
    return jest.fn(async () => {
      const issued = (generation += 1);
      await new Promise((resolve) => setImmediate(resolve));
      return { access_token: `access-${issued}`, refresh_token: `refresh-${issued}` };
    });
  }

  it("five frames asking at once with the same refresh token: the platform's refresh runs once, each gets its tokens", async () => {
    const refresh = rotatingPlatform();
    const page = startPage(5, refresh);
    const answers = await Promise.all([0, 1, 2, 3, 4].map((index) => page.ask(index, 'refresh-0')));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(answers.map((answer) => answer.result?.access_token)).toEqual(Array(5).fill('access-1'));
    page.destroy();
  });

  it('a frame asking a moment after the refresh succeeded gets its outcome, not a refresh of a rotated token', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const refresh = rotatingPlatform();
    const page = startPage(2, refresh);
    await page.ask(0, 'refresh-0');
    jest.advanceTimersByTime(9_000);
    expect((await page.ask(1, 'refresh-0')).result?.access_token).toBe('access-1');
    expect(refresh).toHaveBeenCalledTimes(1);
    page.destroy();
  });

  it('after 10 s, or when the same frame asks again with a refresh token that does not rotate, the platform is asked again', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    let issued = 0;
    const refresh = jest.fn(async () => ({ access_token: `access-${(issued += 1)}` }));
    const page = startPage(2, refresh);
    await page.ask(0, 'refresh-0');
    expect((await page.ask(0, 'refresh-0')).result?.access_token).toBe('access-2');
    jest.advanceTimersByTime(10_000);
    expect((await page.ask(1, 'refresh-0')).result?.access_token).toBe('access-3');
    expect(refresh).toHaveBeenCalledTimes(3);
    page.destroy();
  });

  it('a frame that asks again with a refresh token that rotated missed the answer: it gets the same one, not a refresh of a spent token', async () => {
    const refresh = rotatingPlatform();
    const page = startPage(1, refresh);
    await page.ask(0, 'refresh-0');
    const again = await page.ask(0, 'refresh-0');
    expect(again.result).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
    expect(refresh).toHaveBeenCalledTimes(1);
    page.destroy();
  });

  it('a refused refresh is shared while it runs, not kept: the next request asks again', async () => {
    const refresh = jest
      .fn()
      .mockImplementationOnce(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw Object.assign(new Error('no'), { code: 'refresh_denied' });
      })
      .mockImplementation(async () => ({ access_token: 'access-1' }));
    const page = startPage(2, refresh);
    const refused = await Promise.all([page.ask(0, 'refresh-0'), page.ask(1, 'refresh-0')]);
    expect(refused.map((answer) => answer.ok)).toEqual([false, false]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect((await page.ask(1, 'refresh-0')).ok).toBe(true);
    expect(refresh).toHaveBeenCalledTimes(2);
    page.destroy();
  });

  it('a refresh that has not settled after 30 s is not joined: the next request calls refresh again', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const refresh = jest
      .fn()
      .mockImplementationOnce(() => new Promise(() => undefined))
      .mockImplementation(async () => ({ access_token: 'access-2' }));
    const page = startPage(2, refresh);
    page.send(0, 'refresh-0');
    await until(() => refresh.mock.calls.length === 1);
    jest.advanceTimersByTime(29_000);
    page.send(1, 'refresh-0');
    jest.advanceTimersByTime(1_000);
    expect((await page.ask(0, 'refresh-0')).result?.access_token).toBe('access-2');
    // The one at 29 s joined the hung refresh.
    expect(refresh).toHaveBeenCalledTimes(2);
    page.destroy();
  });

  it('without a refresh token nothing is shared: each frame gets its own refresh', async () => {
    const refresh = rotatingPlatform();
    const page = startPage(2, refresh);
    const answers = await Promise.all([page.ask(0, ''), page.ask(1, '')]);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(answers.map((answer) => answer.result?.access_token).sort()).toEqual([
      'access-1',
      'access-2',
    ]);
    page.destroy();
  });

  it('different refresh tokens, different mini-app origins, and hosts on another page are not shared', async () => {
    const refresh = rotatingPlatform();
    const page = startPage(2, refresh, [appOrigin, 'https://other-app.example.com']);
    const another = startPage(1, refresh);
    await Promise.all([
      page.ask(0, 'refresh-0'),
      page.ask(1, 'refresh-0'),
      another.ask(0, 'refresh-0'),
      page.ask(0, 'refresh-x'),
    ]);
    expect(refresh).toHaveBeenCalledTimes(4);
    page.destroy();
    another.destroy();
  });
});

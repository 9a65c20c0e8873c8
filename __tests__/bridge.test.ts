import { MiniAppError, PlatformError, PlatformTimeoutError } from '../src';
import { createBridge } from '../src/frame/bridge';
import {
  createFailure,
  createResult,
  protocolName,
  protocolVersion,
  type BridgeRequest,
} from '../src/protocol';
import { connectedWindows } from './helpers/fake-windows';

afterEach(() => jest.useRealTimers());

const platformOrigin = 'https://example.aspro.cloud';

function openBridge(timeoutMs = 10_000) {
  const windows = connectedWindows(platformOrigin);
  const bridge = createBridge(windows.frameWindow, platformOrigin, timeoutMs);
  const lastRequest = () =>
    windows.toPlatform[windows.toPlatform.length - 1].message as BridgeRequest;
  return { ...windows, bridge, lastRequest };
}

describe('bridge: requests and responses', () => {
  it('posts a request to window.parent with the explicit target origin, never "*"', () => {
    const { bridge, toPlatform } = openBridge();
    void bridge.request('context').catch(() => undefined);
    expect(toPlatform).toHaveLength(1);
    expect(toPlatform[0].targetOrigin).toBe(platformOrigin);
    expect(toPlatform[0].message).toMatchObject({
      protocol: protocolName,
      version: protocolVersion,
      kind: 'request',
      method: 'context',
      params: {},
    });
    bridge.destroy();
  });

  it('resolves with the result of the response carrying the same id', async () => {
    const { bridge, lastRequest, deliverToFrame } = openBridge();
    const answer = bridge.request('refresh', { refresh_token: 'r' });
    deliverToFrame(createResult(lastRequest().id, { access_token: 'a' }));
    await expect(answer).resolves.toEqual({ access_token: 'a' });
    bridge.destroy();
  });

  it('matches concurrent requests to their own responses, in any order', async () => {
    const { bridge, toPlatform, deliverToFrame } = openBridge();
    const first = bridge.request('context');
    const second = bridge.request('refresh');
    const [firstId, secondId] = toPlatform.map((posted) => (posted.message as BridgeRequest).id);
    expect(firstId).not.toBe(secondId);
    deliverToFrame(createResult(secondId, 'second'));
    deliverToFrame(createResult(firstId, 'first'));
    await expect(first).resolves.toBe('first');
    await expect(second).resolves.toBe('second');
    bridge.destroy();
  });

  it('uses unguessable ids: UUIDs from crypto.randomUUID', () => {
    const { bridge, toPlatform } = openBridge();
    for (let index = 0; index < 20; index += 1)
      void bridge.request('context').catch(() => undefined);
    const ids = toPlatform.map((posted) => (posted.message as BridgeRequest).id);
    expect(new Set(ids).size).toBe(20);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    bridge.destroy();
  });

  it('falls back to 128 random bits where crypto.randomUUID is missing', () => {
    const windows = connectedWindows(platformOrigin);
    const getRandomValues = jest.fn((array: Uint8Array) =>
      globalThis.crypto.getRandomValues(array),
    );
    const bridge = createBridge(
      { ...windows.frameWindow, crypto: { getRandomValues } as never },
      platformOrigin,
      1000,
    );
    void bridge.request('context').catch(() => undefined);
    expect((windows.toPlatform[0].message as BridgeRequest).id).toMatch(/^[0-9a-f]{32}$/);
    expect(getRandomValues).toHaveBeenCalled();
    bridge.destroy();
  });

  it('refuses to start without any crypto, rather than using guessable ids', () => {
    const windows = connectedWindows(platformOrigin);
    expect(() =>
      createBridge({ ...windows.frameWindow, crypto: undefined }, platformOrigin, 1000),
    ).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_BROWSER' }));
  });

  it('rejects with PlatformError carrying the code and message the platform sent', async () => {
    const { bridge, lastRequest, deliverToFrame } = openBridge();
    const answer = bridge.request('refresh');
    deliverToFrame(createFailure(lastRequest().id, 'refresh_denied', 'user logged out'));
    const error = (await answer.catch((caught: unknown) => caught)) as PlatformError;
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toBeInstanceOf(MiniAppError);
    expect(error).toMatchObject({
      name: 'PlatformError',
      code: 'PLATFORM_ERROR',
      platformCode: 'refresh_denied',
    });
    expect(error.message).toMatch(/user logged out/);
    bridge.destroy();
  });

  it('rejects with PlatformTimeoutError after the timeout and forgets the id', async () => {
    jest.useFakeTimers();
    const { bridge, lastRequest, deliverToFrame } = openBridge(500);
    const answer = bridge.request('context').catch((error: unknown) => error);
    const { id } = lastRequest();
    await jest.advanceTimersByTimeAsync(499);
    await jest.advanceTimersByTimeAsync(1);
    const error = (await answer) as PlatformTimeoutError;
    expect(error).toBeInstanceOf(PlatformTimeoutError);
    expect(error).toMatchObject({ name: 'PlatformTimeoutError', code: 'PLATFORM_TIMEOUT' });
    expect(error.message).toMatch(/500 ms/);
    deliverToFrame(createResult(id, 'late'));
    expect(jest.getTimerCount()).toBe(0);
    bridge.destroy();
  });

  it('uses the first answer to an id and ignores a second one', async () => {
    const { bridge, lastRequest, deliverToFrame } = openBridge();
    const answer = bridge.request('context');
    const { id } = lastRequest();
    deliverToFrame(createResult(id, 'first'));
    deliverToFrame(createFailure(id, 'x', 'second'));
    await expect(answer).resolves.toBe('first');
    bridge.destroy();
  });

  it('destroy() removes its listener, rejects waiting requests and clears their timers', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { bridge, frameListeners } = openBridge();
    const waiting = [bridge.request('context'), bridge.request('refresh')];
    expect(frameListeners.size).toBe(1);
    bridge.destroy();
    expect(frameListeners.size).toBe(0);
    for (const wait of waiting) await expect(wait).rejects.toMatchObject({ code: 'DESTROYED' });
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('bridge: what it ignores', () => {
  async function expectIgnored(
    deliver: (id: string, windows: ReturnType<typeof openBridge>) => void,
  ) {
    jest.useFakeTimers();
    const windows = openBridge(1000);
    const answer = windows.bridge.request('refresh').catch((error: unknown) => error);
    expect(() => deliver(windows.lastRequest().id, windows)).not.toThrow();
    await jest.advanceTimersByTimeAsync(1000);
    expect(await answer).toBeInstanceOf(PlatformTimeoutError);
    windows.bridge.destroy();
  }

  it('a response from another origin, even from window.parent', () =>
    expectIgnored((id, { deliverToFrame }) =>
      deliverToFrame(createResult(id, 'forged'), 'https://evil.example'),
    ));

  it('a response from the right origin but another window (a sibling frame)', () =>
    expectIgnored((id, { deliverToFrame }) =>
      deliverToFrame(createResult(id, 'forged'), platformOrigin, {}),
    ));

  it('a response without a source', () =>
    expectIgnored((id, { deliverToFrame }) =>
      deliverToFrame(createResult(id, 'forged'), platformOrigin, null),
    ));

  it('a response with a forged id', () =>
    expectIgnored((_id, { deliverToFrame }) =>
      deliverToFrame(createResult('guessed-id', 'forged')),
    ));

  it.each<[string, (id: string) => unknown]>([
    ['a string', () => 'hello'],
    ['null', () => null],
    ['an array', (id) => [createResult(id, 'x')]],
    ['another protocol', (id) => ({ ...createResult(id, 'x'), protocol: 'other' })],
    ['another version', (id) => ({ ...createResult(id, 'x'), version: 2 })],
    ['a request instead of a response', (id) => ({ ...createResult(id, 'x'), kind: 'request' })],
    [
      'no ok flag',
      (id) => ({
        protocol: protocolName,
        version: protocolVersion,
        kind: 'response',
        id,
        result: 'x',
      }),
    ],
    [
      'a failure without an error object',
      (id) => ({ ...createFailure(id, 'c', 'm'), error: 'boom' }),
    ],
    ['an id that is too long', () => createResult('x'.repeat(1000), 'x')],
    ['protocol fields only on the prototype', (id) => Object.create(createResult(id, 'x'))],
    [
      'a __proto__ key carrying the fields',
      (id) => JSON.parse(`{"__proto__": ${JSON.stringify(createResult(id, 'x'))}}`),
    ],
  ])('a message that is %s', (_label, make) =>
    expectIgnored((id, { deliverToFrame }) => deliverToFrame(make(id))),
  );

  it('a huge payload of garbage', () =>
    expectIgnored((_id, { deliverToFrame }) => deliverToFrame({ junk: 'x'.repeat(5_000_000) })));
});

describe('bridge: prototype pollution', () => {
  it('a response whose result carries __proto__ and constructor keys pollutes nothing', async () => {
    const { bridge, lastRequest, deliverToFrame } = openBridge();
    const answer = bridge.request('context');
    const hostile = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
    );
    deliverToFrame(createResult(lastRequest().id, hostile));
    await answer;
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    bridge.destroy();
  });
});

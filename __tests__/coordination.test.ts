/**
 * Refresh coordination between OAuth2 instances that share a key, in one Node process: Node's
 * real BroadcastChannel carries the news, a Web Locks stand-in elects (Node 20 and 22 have no
 * `navigator.locks`). The real-browser proof, frames and tabs, is coordination-browser.test.ts.
 */
import { OAuth2, OAuth2RefreshError, type OAuth2Params, type OAuth2RefreshResult } from '../src';
import { FakeLocks, installLocks } from './helpers/fake-locks';
import { until } from './helpers/setup';

const key = 'app-1:account-7';
/** Expiries the platform below hands out: an hour ahead, a second apart per generation. */
const expiryBase = Date.now() + 3_600_000;
const expiryOf = (generation: number) => new Date(expiryBase + generation * 1000);
const channelName = `aspro.miniapp.refresh/1/${key}`;

let locks: FakeLocks;
let restoreNavigator: () => void;
const instances: OAuth2[] = [];
const channels: BroadcastChannel[] = [];

beforeEach(() => {
  locks = new FakeLocks();
  restoreNavigator = installLocks(locks);
});

afterEach(() => {
  for (const instance of instances.splice(0)) instance.destroy();
  for (const channel of channels.splice(0)) channel.close();
  restoreNavigator();
});

/** A listener on the key's channel, as another frame of the mini-app would be. */
function listen(): { channel: BroadcastChannel; messages: unknown[]; next(): Promise<unknown> } {
  const channel = new BroadcastChannel(channelName);
  channels.push(channel);
  const messages: unknown[] = [];
  let waiter: ((message: unknown) => void) | null = null;
  channel.onmessage = ({ data }) => {
    if ((data as { kind?: unknown }).kind === 'echo') return;
    messages.push(data);
    waiter?.(data);
    waiter = null;
  };
  return {
    channel,
    messages,
    next: () => new Promise((resolve) => (waiter = resolve)),
  };
}

interface Sibling {
  oauth2: OAuth2;
  refreshed: OAuth2RefreshResult[];
  errors: OAuth2RefreshError[];
  /** Resolves at the next `onRefresh` or `onRefreshError`. */
  nextEvent(): Promise<void>;
}

/** An instance holding access token `a0` (unless said otherwise), as a frame of the mini-app. */
function sibling(params: OAuth2Params = {}): Sibling {
  const refreshed: OAuth2RefreshResult[] = [];
  const errors: OAuth2RefreshError[] = [];
  let waiter: (() => void) | null = null;
  const wake = () => {
    waiter?.();
    waiter = null;
  };
  const oauth2 = new OAuth2({
    accessToken: 'a0',
    refreshToken: 'r0',
    coordinationKey: key,
    events: {
      onRefresh: (tokens) => {
        refreshed.push(tokens);
        wake();
      },
      onRefreshError: (error) => {
        errors.push(error);
        wake();
      },
    },
    ...params,
  });
  instances.push(oauth2);
  return {
    oauth2,
    refreshed,
    errors,
    nextEvent: () => new Promise<void>((resolve) => (waiter = resolve)),
  };
}

/** A platform whose refresh rotates both tokens; counts its calls. */
function platform() {
  const calls: string[] = [];
  let generation = 0;
  return {
    calls,
    refreshHandler: async ({ refreshToken }: { refreshToken: string }) => {
      calls.push(refreshToken);
      await Promise.resolve();
      generation += 1;
      return {
        accessToken: `a${generation}`,
        refreshToken: `r${generation}`,
        expiresAt: expiryOf(generation),
      };
    },
  };
}

describe('instances sharing a coordination key', () => {
  it('three refreshing at once: the platform is asked once, each adopts the tokens and fires onRefresh once', async () => {
    const { calls, refreshHandler } = platform();
    const frames = [
      sibling({ refreshHandler }),
      sibling({ refreshHandler }),
      sibling({ refreshHandler }),
    ];
    const results = await Promise.all(frames.map(({ oauth2 }) => oauth2.refresh()));
    expect(calls).toEqual(['r0']);
    expect(results.map((tokens) => tokens.accessToken)).toEqual(['a1', 'a1', 'a1']);
    for (const frame of frames) {
      expect(frame.refreshed).toHaveLength(1);
      expect(frame.oauth2.refreshToken).toBe('r1');
      expect(frame.oauth2.expiresAt).toEqual(expiryOf(1));
    }
  });

  it('an idle sibling adopts the new tokens as they come, so its next request carries them', async () => {
    const { calls, refreshHandler } = platform();
    const refresher = sibling({ refreshHandler });
    const idle = sibling({ refreshHandler });
    const adopted = idle.nextEvent();
    await refresher.oauth2.refresh();
    await adopted;
    expect(idle.oauth2.accessToken).toBe('a1');
    expect(idle.refreshed).toEqual([
      { accessToken: 'a1', refreshToken: 'r1', expiresAt: expiryOf(1) },
    ]);
    expect(calls).toHaveLength(1);
  });

  it('a refresh that waited for the lock while the holder refreshed does not ask again (re-checked under the lock)', async () => {
    const { calls, refreshHandler } = platform();
    const holder = sibling({ refreshHandler });
    const waiting = sibling({ refreshHandler });
    const first = holder.oauth2.refresh();
    const second = waiting.oauth2.refresh();
    expect(locks.state(channelName)).toEqual({ held: true, pending: 1 });
    await Promise.all([first, second]);
    expect(calls).toHaveLength(1);
    expect(locks.state(channelName).pending).toBe(0);
  });

  it('a refused refresh is shared: the waiting sibling fails with the same code, the platform is asked once', async () => {
    let calls = 0;
    const refreshHandler = () => {
      calls += 1;
      return Promise.reject(new Error('invalid_grant'));
    };
    const holder = sibling({ refreshHandler });
    const waiting = sibling({ refreshHandler });
    const outcomes = await Promise.allSettled([holder.oauth2.refresh(), waiting.oauth2.refresh()]);
    expect(calls).toBe(1);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        status: 'rejected',
        reason: { name: 'OAuth2RefreshError', code: 'REFRESH_FAILED' },
      });
    }
    expect(holder.errors).toHaveLength(1);
    expect(waiting.errors).toHaveLength(1);
    expect(waiting.oauth2.accessToken).toBe('a0');
  });

  it('an idle sibling hears the failure: onRefreshError fires, and a request it sent before fails without asking', async () => {
    let calls = 0;
    const refreshHandler = () => {
      calls += 1;
      return Promise.reject(new Error('invalid_grant'));
    };
    const holder = sibling({ refreshHandler });
    const idle = sibling({ refreshHandler });
    const sentBefore = idle.oauth2.ticket;
    const heard = idle.nextEvent();
    await expect(holder.oauth2.refresh()).rejects.toThrow(OAuth2RefreshError);
    await heard;
    expect(idle.errors.map((error) => error.code)).toEqual(['REFRESH_FAILED']);
    await expect(idle.oauth2.recoverFromRejection(sentBefore)).rejects.toMatchObject({
      code: 'REFRESH_FAILED',
    });
    expect(calls).toBe(1);
    // A request sent after the failure asks afresh.
    await expect(idle.oauth2.recoverFromRejection(idle.oauth2.ticket)).rejects.toThrow();
    expect(calls).toBe(2);
  });

  it('a holder whose platform does not answer releases the lock at its timeout and shares the timeout; late tokens still reach the siblings', async () => {
    let answer: (tokens: { accessToken: string; refreshToken: string }) => void = () => undefined;
    const refreshHandler = () =>
      new Promise<{ accessToken: string; refreshToken: string }>((resolve) => (answer = resolve));
    const holder = sibling({ refreshHandler, refreshTimeoutMs: 50 });
    // The waiting frame's own timeout is far off: it fails by the holder's.
    const waiting = sibling({ refreshHandler });
    const outcomes = await Promise.allSettled([holder.oauth2.refresh(), waiting.oauth2.refresh()]);
    expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason.code)).toEqual([
      'REFRESH_TIMEOUT',
      'REFRESH_TIMEOUT',
    ]);
    expect(waiting.errors[0].message).toMatch(/another frame/);
    // Not held for ever: another frame gets the lock.
    await expect(locks.request(channelName, {}, () => Promise.resolve('granted'))).resolves.toBe(
      'granted',
    );
    const adopted = waiting.nextEvent();
    answer({ accessToken: 'late', refreshToken: 'late-refresh' });
    await adopted;
    expect(waiting.refreshed.map((tokens) => tokens.accessToken)).toEqual(['late']);
    expect(holder.oauth2.accessToken).toBe('late');
  });

  it('a sibling that asks again while a timed-out holder still awaits its answer waits for that answer, never spending the same refresh token', async () => {
    let answer: (tokens: { accessToken: string; refreshToken: string }) => void = () => undefined;
    const spent: string[] = [];
    const refreshHandler = ({ refreshToken }: { refreshToken: string }) => {
      spent.push(refreshToken);
      return new Promise<{ accessToken: string; refreshToken: string }>(
        (resolve) => (answer = resolve),
      );
    };
    const holder = sibling({ refreshHandler, refreshTimeoutMs: 50 });
    const other = sibling({ refreshHandler });
    const outcomes = await Promise.allSettled([holder.oauth2.refresh(), other.oauth2.refresh()]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    const again = other.oauth2.refresh();
    // It waits for the lock the holder keeps while its answer may still come.
    await until(() => locks.state(channelName).pending === 1);
    answer({ accessToken: 'late', refreshToken: 'r-late' });
    await expect(again).resolves.toMatchObject({ accessToken: 'late' });
    expect(spent).toEqual(['r0']);
  });

  it('destroy() while the holder keeps the lock for a late answer gives the lock up at once', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask', 'nextTick'] });
    try {
      let asked = false;
      const holder = sibling({
        refreshHandler: () => {
          asked = true;
          return new Promise<never>(() => undefined);
        },
        refreshTimeoutMs: 1_000,
      });
      const outcome = holder.oauth2.refresh().catch((error: OAuth2RefreshError) => error.code);
      await until(() => asked);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(await outcome).toBe('REFRESH_TIMEOUT');
      // Kept for the late answer: fake time stands still, so only destroy() can free it.
      expect(locks.state(channelName).held).toBe(true);
      holder.oauth2.destroy();
      await until(() => !locks.state(channelName).held);
    } finally {
      jest.useRealTimers();
    }
  });

  it('only tokens and their expiry cross the channel, named by the key alone', async () => {
    const { refreshHandler } = platform();
    const observer = listen();
    const published = observer.next();
    await sibling({ refreshHandler }).oauth2.refresh();
    expect(await published).toEqual({
      protocol: 'aspro.miniapp.refresh',
      version: 1,
      kind: 'refreshed',
      replaces: 'a0',
      accessToken: 'a1',
      refreshToken: 'r1',
      expiresAt: expiryOf(1).getTime(),
    });
    expect(observer.messages).toHaveLength(1);
  });

  it('malformed and foreign messages are ignored; a well-formed one after them is adopted', async () => {
    const frame = sibling({ refreshHandler: platform().refreshHandler });
    const { channel } = listen();
    const envelope = { protocol: 'aspro.miniapp.refresh', version: 1 };
    const valid = {
      ...envelope,
      kind: 'refreshed',
      replaces: 'a0',
      accessToken: 'good',
      refreshToken: 'good-r',
      expiresAt: null,
    };
    // Each carries tokens of its own: adopting any of them would show.
    let count = 0;
    const bad = (fields: object) => ({ ...valid, accessToken: `bad-${(count += 1)}`, ...fields });
    for (const message of [
      null,
      'a0',
      [bad({})],
      bad({ protocol: 'aspro.miniapp' }),
      bad({ version: 2 }),
      bad({ kind: 'tokens' }),
      bad({ accessToken: '' }),
      bad({ accessToken: 42 }),
      bad({ accessToken: 'x'.repeat(16_385) }),
      bad({ refreshToken: null }),
      bad({ refreshToken: 'x'.repeat(16_385) }),
      bad({ expiresAt: 'tomorrow' }),
      bad({ expiresAt: Number.NaN }),
      bad({ expiresAt: 1e300 }),
      bad({ expiresAt: 1_900_000_000 }),
      bad({ expiresAt: new Date(Date.now() + 60_000) }),
      bad({ expiresAt: undefined }),
      bad({ replaces: 7 }),
      bad({ replaces: 'a-token-this-frame-does-not-hold' }),
      { ...envelope, kind: 'failed', replaces: 'a0', code: 'DESTROYED' },
      { ...envelope, kind: 'failed', replaces: 'a0' },
      { ...envelope, kind: 'failed', replaces: 7, code: 'REFRESH_FAILED' },
      { ...envelope, kind: 'echo', id: '' },
      JSON.parse(
        `{"protocol":"aspro.miniapp.refresh","version":1,"kind":"refreshed","replaces":"a0","__proto__":{"accessToken":"polluted"},"refreshToken":"x","expiresAt":null}`,
      ),
      valid,
    ]) {
      channel.postMessage(message);
    }
    await frame.nextEvent();
    expect(frame.refreshed).toEqual([
      { accessToken: 'good', refreshToken: 'good-r', expiresAt: null },
    ]);
    expect(frame.errors).toEqual([]);
    expect(({} as { accessToken?: string }).accessToken).toBeUndefined();
  });

  it('a refresh waiting for the lock when new tokens and another key are adopted (a new context) settles with them, without asking', async () => {
    const { calls, refreshHandler } = platform();
    const holder = sibling({ refreshHandler });
    const waiting = sibling({ refreshHandler });
    const first = holder.oauth2.refresh();
    const second = waiting.oauth2.refresh();
    waiting.oauth2.adopt({ accessToken: 'from-context', coordinationKey: 'app-1:account-9' });
    await first;
    await expect(second).resolves.toMatchObject({ accessToken: 'from-context' });
    expect(calls).toEqual(['r0']);
  });

  it('instances with different keys refresh on their own', async () => {
    const { calls, refreshHandler } = platform();
    const first = sibling({ refreshHandler });
    const other = sibling({ refreshHandler, coordinationKey: 'app-1:account-8' });
    await Promise.all([first.oauth2.refresh(), other.oauth2.refresh()]);
    expect(calls).toEqual(['r0', 'r0']);
  });

  it('a destroyed instance hears nothing and keeps no lock', async () => {
    const { refreshHandler } = platform();
    const refresher = sibling({ refreshHandler });
    const destroyed = sibling({ refreshHandler });
    const waiting = destroyed.oauth2.refresh().catch((error: OAuth2RefreshError) => error.code);
    destroyed.oauth2.destroy();
    expect(await waiting).toBe('DESTROYED');
    await refresher.oauth2.refresh();
    expect(destroyed.refreshed).toEqual([]);
    expect(locks.state(channelName).pending).toBe(0);
  });
});

describe('where coordination cannot engage, each instance refreshes on its own', () => {
  it('without navigator.locks (Node 20 and 22, jsdom, older browsers)', async () => {
    restoreNavigator();
    restoreNavigator = installLocks(null);
    const { calls, refreshHandler } = platform();
    await Promise.all([
      sibling({ refreshHandler }).oauth2.refresh(),
      sibling({ refreshHandler }).oauth2.refresh(),
    ]);
    expect(calls).toEqual(['r0', 'r0']);
  });

  it('when the browser refuses the lock (SecurityError): no hang, and no lock asked for again', async () => {
    locks.refuse = true;
    const { calls, refreshHandler } = platform();
    const frames = [sibling({ refreshHandler }), sibling({ refreshHandler })];
    await Promise.all(frames.map(({ oauth2 }) => oauth2.refresh()));
    expect(calls).toEqual(['r0', 'r0']);
    expect(locks.requests).toBe(2);
    await frames[0].oauth2.refresh();
    expect(locks.requests).toBe(2);
  });

  it('without a key', async () => {
    const { calls, refreshHandler } = platform();
    await Promise.all([
      sibling({ refreshHandler, coordinationKey: undefined }).oauth2.refresh(),
      sibling({ refreshHandler, coordinationKey: undefined }).oauth2.refresh(),
    ]);
    expect(calls).toEqual(['r0', 'r0']);
    expect(locks.requests).toBe(0);
  });

  it.each([[''], [42], [null]])('coordinationKey %p is a TypeError naming the option', (value) => {
    expect(() => new OAuth2({ coordinationKey: value as string })).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        message: expect.stringContaining('coordinationKey'),
      }),
    );
  });
});

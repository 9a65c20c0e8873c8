import { RateLimitError, RateLimiter } from '../src';
import { readRetryAfter, readServerLimits } from '../src/rate-limit-headers';

/** Lets every queued promise callback run (grants resolve promises). */
async function flush(): Promise<void> {
  for (let round = 0; round < 10; round += 1) await Promise.resolve();
}

/**
 * Takes a turn and records when (fake ms since the test began) it was granted; the request is
 * answered at once, so its place frees a window after the grant.
 */
function taker(limiter: RateLimiter, start: number) {
  const granted: { id: number; at: number }[] = [];
  const take = (id: number, urgent = false) => {
    const { turn, cancel } = limiter.take(urgent);
    const settled = turn.then(
      (held) => {
        granted.push({ id, at: performance.now() - start });
        held.answered();
      },
      (error: unknown) => error,
    );
    return { turn, cancel, settled };
  };
  return { granted, take };
}

/** The most grants in any window [t, t + 1000). */
function maxInWindow(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    let count = 0;
    for (let j = i; j < sorted.length && sorted[j] < sorted[i] + 1000; j += 1) count += 1;
    most = Math.max(most, count);
  }
  return most;
}

const limiters: RateLimiter[] = [];
function limiterOf(limit?: number): RateLimiter {
  const limiter = new RateLimiter(limit === undefined ? {} : { limit });
  limiters.push(limiter);
  return limiter;
}

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
});

afterEach(() => {
  for (const limiter of limiters.splice(0)) limiter.destroy();
  try {
    RateLimiter.getInstance().destroy();
  } catch {
    // none
  }
  jest.useRealTimers();
});

describe('fake timers', () => {
  it('mock both performance.now() and Date.now()', () => {
    const perf = performance.now();
    const date = Date.now();
    jest.advanceTimersByTime(1234);
    expect(performance.now() - perf).toBe(1234);
    expect(Date.now() - date).toBe(1234);
  });
});

describe('RateLimiter', () => {
  it('lets requests through at once while there is room', async () => {
    const limiter = limiterOf(5);
    const { granted, take } = taker(limiter, performance.now());
    for (let id = 0; id < 5; id += 1) take(id);
    await flush();
    expect(granted.map((grant) => grant.at)).toEqual([0, 0, 0, 0, 0]);
    expect(limiter.processing).toBe(false);
    expect(limiter.remaining).toBe(0);
    expect(limiter.lastRequestTime).toBe(Date.now());
  });

  it('grants never more than limit in any 1000 ms, in arrival order', async () => {
    const limiter = limiterOf(3);
    const start = performance.now();
    const { granted, take } = taker(limiter, start);
    for (let id = 0; id < 10; id += 1) take(id);
    await flush();
    expect(granted).toHaveLength(3);
    expect(limiter.processing).toBe(true);
    await jest.advanceTimersByTimeAsync(999);
    expect(granted).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toHaveLength(6);
    await jest.advanceTimersByTimeAsync(5000);
    expect(granted.map((grant) => grant.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(granted.map((grant) => grant.at)).toEqual([
      0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000,
    ]);
    expect(maxInWindow(granted.map((grant) => grant.at))).toBe(3);
    expect(limiter.processing).toBe(false);
  });

  it('keeps the window sliding for staggered arrivals', async () => {
    const limiter = limiterOf(2);
    const start = performance.now();
    const { granted, take } = taker(limiter, start);
    take(0);
    await jest.advanceTimersByTimeAsync(300);
    take(1);
    take(2); // room again at 1000 (when 0 leaves the window)
    take(3); // at 1300
    await jest.advanceTimersByTimeAsync(3000);
    expect(granted).toEqual([
      { id: 0, at: 0 },
      { id: 1, at: 300 },
      { id: 2, at: 1000 },
      { id: 3, at: 1300 },
    ]);
  });

  it('an urgent waiter goes ahead of ordinary waiters, after earlier urgent ones', async () => {
    const limiter = limiterOf(1);
    const { granted, take } = taker(limiter, performance.now());
    take(0);
    take(1);
    take(2);
    take(10, true);
    take(11, true);
    take(3);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(granted.map((grant) => grant.id)).toEqual([0, 10, 11, 1, 2, 3]);
  });

  it('an urgent request with room leaves at once', async () => {
    const limiter = limiterOf(2);
    const { granted, take } = taker(limiter, performance.now());
    take(10, true);
    await flush();
    expect(granted).toEqual([{ id: 10, at: 0 }]);
  });

  it('cancel() takes a waiter out: no slot consumed, nothing kept queued', async () => {
    const limiter = limiterOf(1);
    const { granted, take } = taker(limiter, performance.now());
    take(0);
    const second = take(1);
    await flush();
    expect(limiter.processing).toBe(true);
    second.cancel();
    expect(limiter.processing).toBe(false);
    await jest.advanceTimersByTimeAsync(1000);
    // The canceled waiter's turn never settles; the next one gets the slot it would have had.
    take(2);
    await flush();
    expect(granted.map((grant) => grant.id)).toEqual([0, 2]);
    expect(granted[1].at).toBe(1000);
    let settled = false;
    void second.turn.then(
      () => (settled = true),
      () => (settled = true),
    );
    await jest.advanceTimersByTimeAsync(5000);
    expect(settled).toBe(false);
  });

  it('cancel() of a middle waiter keeps the others in order; cancel after the grant is harmless', async () => {
    const limiter = limiterOf(1);
    const { granted, take } = taker(limiter, performance.now());
    const first = take(0);
    take(1);
    const middle = take(2);
    take(3);
    middle.cancel();
    first.cancel(); // already granted: nothing to take out
    await jest.advanceTimersByTimeAsync(5000);
    expect(granted.map((grant) => grant.id)).toEqual([0, 1, 3]);
    expect(granted.map((grant) => grant.at)).toEqual([0, 1000, 2000]);
    expect(limiter.processing).toBe(false);
  });

  it('observe({ retryAfterMs }) pauses the whole queue, even with room', async () => {
    const limiter = limiterOf(10);
    const { granted, take } = taker(limiter, performance.now());
    take(0);
    await flush();
    limiter.observe({ retryAfterMs: 2000 });
    take(1);
    take(2);
    await jest.advanceTimersByTimeAsync(1999);
    expect(granted.map((grant) => grant.id)).toEqual([0]);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([
      { id: 0, at: 0 },
      { id: 1, at: 2000 },
      { id: 2, at: 2000 },
    ]);
  });

  it('a shorter retryAfterMs does not cut a longer pause short', async () => {
    const limiter = limiterOf();
    const { granted, take } = taker(limiter, performance.now());
    limiter.observe({ retryAfterMs: 1500 });
    limiter.observe({ retryAfterMs: 100 });
    take(0);
    await jest.advanceTimersByTimeAsync(1499);
    expect(granted).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([{ id: 0, at: 1500 }]);
  });

  it('remaining: 0 with resetAt pauses until the reset and shows the figures', async () => {
    const limiter = limiterOf();
    const { granted, take } = taker(limiter, performance.now());
    const resetAt = Date.now() + 700;
    limiter.observe({ remaining: 0, resetAt });
    expect(limiter.remaining).toBe(0);
    expect(limiter.reset).toBe(resetAt);
    take(0);
    await jest.advanceTimersByTimeAsync(699);
    expect(granted).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toEqual([{ id: 0, at: 700 }]);
  });

  it('remaining > 0 does not pause; remaining counts down per grant', async () => {
    const limiter = limiterOf();
    const { granted, take } = taker(limiter, performance.now());
    limiter.observe({ remaining: 2, resetAt: Date.now() + 5000 });
    take(0);
    await flush();
    expect(granted).toHaveLength(1);
    expect(limiter.remaining).toBe(1);
  });

  it('a resetAt in the past with remaining: 0 does not pause', async () => {
    const limiter = limiterOf();
    const { granted, take } = taker(limiter, performance.now());
    limiter.observe({ remaining: 0, resetAt: Date.now() - 10 });
    take(0);
    await flush();
    expect(granted).toEqual([{ id: 0, at: 0 }]);
  });

  it('limit -1 (the default): no local limit', async () => {
    const limiter = limiterOf();
    expect(limiter.limit).toBe(-1);
    expect(limiter.remaining).toBe(-1);
    const { granted, take } = taker(limiter, performance.now());
    for (let id = 0; id < 500; id += 1) take(id);
    await flush();
    expect(granted).toHaveLength(500);
    expect(limiter.processing).toBe(false);
  });

  it('setting limit later applies to the requests still queued', async () => {
    const limiter = limiterOf(1);
    const { granted, take } = taker(limiter, performance.now());
    for (let id = 0; id < 6; id += 1) take(id);
    await flush();
    expect(granted).toHaveLength(1);
    limiter.limit = 3;
    await flush();
    expect(granted).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1000);
    expect(granted).toHaveLength(6);
    expect(maxInWindow(granted.map((grant) => grant.at))).toBe(3);
    const more = taker(limiter, performance.now());
    limiter.limit = -1;
    for (let id = 0; id < 20; id += 1) more.take(id);
    await flush();
    expect(more.granted).toHaveLength(20);
  });

  it('lowering the limit holds queued requests back', async () => {
    const limiter = limiterOf(5);
    const { granted, take } = taker(limiter, performance.now());
    for (let id = 0; id < 3; id += 1) take(id);
    await flush();
    limiter.limit = 2;
    take(3);
    await jest.advanceTimersByTimeAsync(999);
    expect(granted).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(granted).toHaveLength(4);
  });

  it('destroy() rejects every queued request with DESTROYED and keeps nothing queued', async () => {
    const limiter = limiterOf(1);
    const { take } = taker(limiter, performance.now());
    take(0);
    const waiting = [take(1), take(2), take(3, true)];
    await flush();
    limiter.destroy();
    expect(limiter.processing).toBe(false);
    for (const { settled } of waiting) {
      const error = await settled;
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ code: 'DESTROYED', name: 'RateLimitError' });
    }
    await expect(limiter.take().turn).rejects.toMatchObject({ code: 'DESTROYED' });
    expect(limiter.processing).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    limiter.destroy(); // again: nothing
  });

  it('getInstance() before initialize() throws NOT_INITIALIZED saying what to do', () => {
    expect(() => RateLimiter.getInstance()).toThrow(RateLimitError);
    try {
      RateLimiter.getInstance();
    } catch (error) {
      expect(error).toMatchObject({ code: 'NOT_INITIALIZED' });
      expect((error as Error).message).toMatch(/RateLimiter\.initialize\(/);
    }
  });

  it('initialize() makes one singleton, sets its limit later; destroy() releases it', () => {
    const limiter = RateLimiter.initialize({ limit: 4 });
    expect(RateLimiter.getInstance()).toBe(limiter);
    expect(RateLimiter.initialize()).toBe(limiter);
    expect(limiter.limit).toBe(4);
    expect(RateLimiter.initialize({ limit: 7 })).toBe(limiter);
    expect(limiter.limit).toBe(7);
    limiter.destroy();
    expect(() => RateLimiter.getInstance()).toThrow(RateLimitError);
    expect(RateLimiter.initialize()).not.toBe(limiter);
  });

  it.each([0, 1.5, -2, NaN, Infinity, -0.5])('throws RangeError for limit %p', (limit) => {
    expect(() => new RateLimiter({ limit })).toThrow(RangeError);
    const limiter = limiterOf(3);
    expect(() => {
      limiter.limit = limit;
    }).toThrow(RangeError);
    expect(limiter.limit).toBe(3);
    expect(() => RateLimiter.initialize({ limit })).toThrow(RangeError);
  });
});

describe('a place in the window', () => {
  it('is held while the request is on the wire, and freed a window after its answer', async () => {
    const limiter = limiterOf(1);
    const first = limiter.take();
    const held = await first.turn;
    let secondAt = -1;
    void limiter.take().turn.then(() => {
      secondAt = Date.now();
    });
    await jest.advanceTimersByTimeAsync(5000);
    expect(secondAt).toBe(-1); // the first is still on the wire
    held.answered();
    const answeredAt = Date.now();
    await jest.advanceTimersByTimeAsync(999);
    expect(secondAt).toBe(-1);
    await jest.advanceTimersByTimeAsync(1);
    expect(secondAt).toBe(answeredAt + 1000);
  });

  it('given back, is free at once, as if the request never left', async () => {
    const limiter = limiterOf(1);
    const held = await limiter.take().turn;
    let secondGranted = false;
    void limiter.take().turn.then(() => {
      secondGranted = true;
    });
    held.giveBack();
    await flush();
    expect(secondGranted).toBe(true);
  });
});

describe('waits the server asks for', () => {
  it('a pause of a day is cut to a minute: requests go out again, the server decides', async () => {
    const limiter = limiterOf(-1);
    limiter.observe({ retryAfterMs: 86_400_000 });
    let grantedAt = -1;
    void limiter.take().turn.then(() => {
      grantedAt = Date.now();
    });
    const start = Date.now();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(grantedAt).toBe(start + 60_000);
  });

  it('a place held by a request never answered is freed 10 s after it left', async () => {
    const limiter = limiterOf(1);
    await limiter.take().turn; // never answered
    let grantedAt = -1;
    void limiter.take().turn.then(() => {
      grantedAt = Date.now();
    });
    const start = Date.now();
    await jest.advanceTimersByTimeAsync(11_000);
    expect(grantedAt).toBe(start + 11_000);
  });

  it("the server's remaining holds until its reset, then this limiter's count again", async () => {
    const limiter = limiterOf(5);
    limiter.observe({ remaining: 0, resetAt: Date.now() + 500 });
    expect(limiter.remaining).toBe(0);
    await jest.advanceTimersByTimeAsync(500);
    expect(limiter.remaining).toBe(5);
  });
});

describe('readRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it.each<[unknown, number | undefined]>([
    ['2', 2000],
    ['0', 0],
    [' 3 ', 3000],
    ['1.5', 1500],
    [7, 7000],
    [['4', '9'], 4000],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['Thursday, 01-Jan-26 00:00:05 GMT', 5000],
    ['Thu Jan  1 00:00:05 2026', 5000],
    ['-1', undefined],
    ['+5', undefined],
    ['1,5', undefined],
    ['2026-01-01T00:00:05Z', undefined],
    ['soon', undefined],
    ['1e3', undefined],
    ['12abc', undefined],
    ['', undefined],
    ['   ', undefined],
    [undefined, undefined],
    [null, undefined],
    [[], undefined],
    [{}, undefined],
  ])('%p → %p', (value, expected) => {
    expect(readRetryAfter(value, now)).toBe(expected);
  });
});

describe('readServerLimits', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const reader =
    (headers: Record<string, unknown>) =>
    (name: string): unknown =>
      headers[name];

  it('reads RateLimit-* (reset in seconds from now)', () => {
    expect(
      readServerLimits(reader({ 'ratelimit-remaining': '4', 'ratelimit-reset': '2' }), now),
    ).toEqual({ remaining: 4, resetAt: now + 2000 });
  });

  it('reads X-RateLimit-* with an epoch-seconds reset', () => {
    const epoch = now / 1000 + 30;
    expect(
      readServerLimits(
        reader({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(epoch) }),
        now,
      ),
    ).toEqual({ remaining: 0, resetAt: now + 30_000 });
  });

  it('reads an X-RateLimit-Reset given in epoch milliseconds as such', () => {
    expect(readServerLimits(reader({ 'x-ratelimit-reset': String(now + 2000) }), now)).toEqual({
      resetAt: now + 2000,
    });
  });

  it('prefers RateLimit-* over X-RateLimit-*', () => {
    expect(
      readServerLimits(reader({ 'ratelimit-remaining': '1', 'x-ratelimit-remaining': '9' }), now),
    ).toEqual({ remaining: 1 });
  });

  it('reads Retry-After, decimal resets and header arrays', () => {
    expect(
      readServerLimits(
        reader({
          'retry-after': ['1'],
          'ratelimit-remaining': ['3', '5'],
          'ratelimit-reset': '0.5',
        }),
        now,
      ),
    ).toEqual({ remaining: 3, resetAt: now + 500, retryAfterMs: 1000 });
  });

  it('reads an HTTP-date Retry-After', () => {
    expect(
      readServerLimits(reader({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), now),
    ).toEqual({ retryAfterMs: 10_000 });
  });

  it('ignores junk values', () => {
    expect(
      readServerLimits(
        reader({
          'ratelimit-remaining': 'many',
          'x-ratelimit-reset': '-5',
          'retry-after': 'later',
        }),
        now,
      ),
    ).toEqual({});
    expect(readServerLimits(reader({ 'ratelimit-remaining': '2.5' }), now)).toEqual({});
    expect(readServerLimits(reader({}), now)).toEqual({});
  });
});

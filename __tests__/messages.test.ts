/**
 * Error messages say what went wrong and what to do; these pin the parts a user relies on.
 */
import { OAuth2 } from '../src';
import { normalizeRefreshResult } from '../src/tokens';
import { resetOAuth2 } from './helpers/setup';

afterEach(() => {
  resetOAuth2();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

const now = Date.parse('2026-01-01T00:00:00Z');

describe('refresh result messages', () => {
  it.each<[string, unknown, RegExp]>([
    ['null', null, /returned a null;.*accessToken/],
    ['a number', 7, /returned a number;/],
    ['no access token', { refreshToken: 'r' }, /returned no access token;/],
    [
      'a bad refresh token',
      { accessToken: 'a', refreshToken: 3 },
      /refresh token that is not a string/,
    ],
  ])('for %s', (_label, raw, message) => {
    expect(() => normalizeRefreshResult(raw, 'r0', now)).toThrow(message);
  });

  it('keeps an expiry exactly one millisecond ahead; one exactly now is set aside as past', () => {
    expect(normalizeRefreshResult({ accessToken: 'a', expiresAt: now + 1 }, 'r0', now)).toEqual({
      tokens: { accessToken: 'a', refreshToken: 'r0', expiresAt: new Date(now + 1) },
      discarded: null,
    });
    expect(normalizeRefreshResult({ accessToken: 'a', expiresAt: now }, 'r0', now)).toEqual({
      tokens: { accessToken: 'a', refreshToken: 'r0', expiresAt: null },
      discarded: { expiresAt: new Date(now), receivedAt: new Date(now), reason: 'past' },
    });
  });

  it('keeps an expiry exactly a year and a day ahead; one a millisecond further is set aside', () => {
    const limit = now + 366 * 24 * 3_600_000;
    const read = (expiresAt: number) =>
      normalizeRefreshResult({ accessToken: 'a', expiresAt }, 'r0', now);
    expect(read(limit)).toMatchObject({ tokens: { expiresAt: new Date(limit) }, discarded: null });
    expect(read(limit + 1)).toMatchObject({
      tokens: { expiresAt: null },
      discarded: { reason: 'too-far', expiresAt: new Date(limit + 1) },
    });
  });

  it('prefers an absolute expiry over expires_in, and reads a null expiry as unknown', () => {
    expect(
      normalizeRefreshResult(
        { accessToken: 'a', expiresAt: now + 5000, expires_in: 60 },
        'r0',
        now,
      ).tokens.expiresAt?.getTime(),
    ).toBe(now + 5000);
    expect(
      normalizeRefreshResult({ accessToken: 'a', expiresAt: null }, 'r0', now).tokens.expiresAt,
    ).toBeNull();
  });
});

describe('OAuth2 messages', () => {
  it('a failed refresh says the old tokens are kept and where the reason is', async () => {
    const oauth2 = OAuth2.initialize({
      refreshHandler: async () => Promise.reject(new Error('x')),
    });
    await expect(oauth2.refresh()).rejects.toThrow(/previous tokens are kept.*cause/);
  });

  it('a timed-out refresh names the limit and the option', async () => {
    jest.useFakeTimers();
    const oauth2 = OAuth2.initialize({
      refreshHandler: () => new Promise(() => undefined),
      refreshTimeoutMs: 1234,
    });
    const outcome = oauth2.refresh().catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(1234);
    expect(await outcome).toMatch(/within 1234 ms \(refreshTimeoutMs\)/);
  });

  it('a destroyed instance says how to get a new one', async () => {
    const oauth2 = OAuth2.initialize();
    oauth2.destroy();
    await expect(oauth2.refresh()).rejects.toThrow(/call OAuth2\.initialize\(\)/);
  });

  it('the events setter refuses null and non-objects', () => {
    const oauth2 = OAuth2.initialize();
    expect(() => (oauth2.events = null as never)).toThrow(/OAuth2 events: pass an object/);
    expect(() => (oauth2.events = 'x' as never)).toThrow(TypeError);
  });

  it('a handler that returns normally reports nothing', async () => {
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const oauth2 = OAuth2.initialize({
      refreshHandler: async () => ({ accessToken: 'a' }),
      events: { onRefresh: () => undefined },
    });
    await oauth2.refresh();
    expect(report).not.toHaveBeenCalled();
  });

  it('counts a token as expired from the very millisecond it is due', () => {
    const oauth2 = new OAuth2({ expiresAt: now + 5000, expirySkewMs: 5000 });
    expect(oauth2.isExpiring(now - 1)).toBe(false);
    expect(oauth2.isExpiring(now)).toBe(true);
  });

  it('an unsubscribed destroy callback is not called', () => {
    const oauth2 = new OAuth2();
    const callback = jest.fn();
    oauth2.onDestroy(callback)();
    oauth2.destroy();
    expect(callback).not.toHaveBeenCalled();
  });
});

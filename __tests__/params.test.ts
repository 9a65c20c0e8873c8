import { OAuth2 } from '../src';

describe('OAuth2 params', () => {
  it.each([
    ['a Date', new Date('2026-04-01T10:15:20Z')],
    ['epoch milliseconds', Date.UTC(2026, 3, 1, 10, 15, 20)],
    ['ISO 8601 with Z', '2026-04-01T10:15:20Z'],
    ['ISO 8601 with an offset', '2026-04-01T13:15:20+03:00'],
    ["the platform's YYYY-MM-DD HH:mm:ss, read as UTC", '2026-04-01 10:15:20'],
    ['ISO 8601 without offset, read as UTC', '2026-04-01T10:15:20'],
  ])('reads expiresAt given as %s', (_label, expiresAt) => {
    expect(new OAuth2({ expiresAt }).expiresAt?.toISOString()).toBe('2026-04-01T10:15:20.000Z');
  });

  it.each([
    ['a lower-case z', '2026-04-01t10:15:20z'.replace('t', 'T')],
    ['an offset without colon', '2026-04-01T13:15:20+0300'],
    ['surrounding spaces', '  2026-04-01 10:15:20  '],
    ['the smallest plausible epoch milliseconds', 1e11],
  ])('reads expiresAt with %s', (_label, expiresAt) => {
    const expected =
      typeof expiresAt === 'number' ? new Date(expiresAt) : new Date('2026-04-01T10:15:20Z');
    expect(new OAuth2({ expiresAt }).expiresAt?.toISOString()).toBe(expected.toISOString());
  });

  it('reads only the first three fraction digits, and minutes-only times', () => {
    expect(new OAuth2({ expiresAt: '2026-04-01 10:15:20.123987' }).expiresAt?.toISOString()).toBe(
      '2026-04-01T10:15:20.123Z',
    );
    expect(new OAuth2({ expiresAt: '2026-04-01 10:15' }).expiresAt?.toISOString()).toBe(
      '2026-04-01T10:15:00.000Z',
    );
  });

  it('accepts expirySkewMs: 0 and a null expiresAt', () => {
    expect(() => new OAuth2({ expirySkewMs: 0, expiresAt: null })).not.toThrow();
  });

  it('rejects params that are not an object', () => {
    expect(() => new OAuth2(null as never)).toThrow(TypeError);
    expect(() => new OAuth2('token' as never)).toThrow(/pass an object/);
  });

  it.each([
    ['the platform format, as UTC', '2026-04-01 10:15:20', '2026-04-01T10:15:20.000Z'],
    ['ISO 8601 with Z', '2026-04-01T10:15:20Z', '2026-04-01T10:15:20.000Z'],
    ['ISO 8601 with an offset', '2026-04-01T13:15:20+03:00', '2026-04-01T10:15:20.000Z'],
    ['an offset without a colon', '2026-04-01T05:15:20-0500', '2026-04-01T10:15:20.000Z'],
    ['an hour-only offset', '2026-04-01T11:15:20+01', '2026-04-01T10:15:20.000Z'],
    ['minutes without seconds', '2026-04-01T10:15Z', '2026-04-01T10:15:00.000Z'],
    [
      'a fraction longer than milliseconds',
      '2026-04-01T10:15:20.123456Z',
      '2026-04-01T10:15:20.123Z',
    ],
    ['a leap day', '2028-02-29 00:00:00', '2028-02-29T00:00:00.000Z'],
    ['a year below 100, kept as written', '0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ['surrounding spaces', ' 2026-04-01 10:15:20 ', '2026-04-01T10:15:20.000Z'],
  ])('reads expiresAt given as %s', (_label, expiresAt, iso) => {
    expect(new OAuth2({ expiresAt }).expiresAt?.toISOString()).toBe(iso);
  });

  it('keeps milliseconds of the platform format', () => {
    expect(new OAuth2({ expiresAt: '2026-04-01 10:15:20.5' }).expiresAt?.toISOString()).toBe(
      '2026-04-01T10:15:20.500Z',
    );
  });

  it('returns a copy of expiresAt, so callers cannot move the expiry', () => {
    const oauth2 = new OAuth2({ expiresAt: '2026-04-01 10:15:20' });
    oauth2.expiresAt?.setTime(0);
    expect(oauth2.expiresAt?.toISOString()).toBe('2026-04-01T10:15:20.000Z');
  });

  it.each([
    ['garbage', 'soon', /unknown format/],
    ['a date that does not exist', '2026-02-30 10:00:00', /calendar/],
    ['February 29 of a common year', '2026-02-29 10:00:00', /calendar/],
    ['an invalid Date', new Date('x'), /invalid Date/],
    ['epoch seconds', 1_775_038_520, /seconds/],
    ['Infinity', Infinity, /finite/],
    ['epoch milliseconds beyond any Date', 1e300, /range of a Date/],
    ['a string without time', '2026-04-01', /unknown format/],
    ['an ISO date with every field out of range', '2026-13-45T99:99:99Z', /out of range/],
    ['a minute of 61, which is never rolled over', '2026-04-01 10:61:00', /out of range/],
    ['hour 24', '2026-04-01T24:00:00Z', /out of range/],
    ['an offset beyond 23 hours', '2026-04-01T10:00:00+24:00', /out of range/],
    ['an offset with minutes beyond 59', '2026-04-01T10:00:00+03:60', /out of range/],
    [
      'an HTTP date, which only some engines read',
      'Wed, 01 Apr 2026 10:15:20 GMT',
      /unknown format/,
    ],
    ['slashes, which only some engines read', '2026/04/01 10:15:20', /unknown format/],
    ['a US date', '04/01/2026 10:15:20', /unknown format/],
    ['an ISO week date', '2026-W14-3T10:15:20Z', /unknown format/],
    ['epoch milliseconds just below the plausible range', 1e11 - 1, /seconds/],
    ['a boolean', true as never, /neither/],
  ])(
    'rejects expiresAt given as %s with a RangeError naming the option',
    (_label, expiresAt, why) => {
      expect(() => new OAuth2({ expiresAt })).toThrow(RangeError);
      expect(() => new OAuth2({ expiresAt })).toThrow(/expiresAt/);
      expect(() => new OAuth2({ expiresAt })).toThrow(why);
      expect(() => new OAuth2({ expiresAt })).toThrow(
        /pass a Date, epoch ms, ISO 8601 or 'YYYY-MM-DD HH:mm:ss'/,
      );
    },
  );

  it.each([
    [{ accessToken: 42 }, TypeError, /accessToken/],
    [{ refreshToken: {} }, TypeError, /refreshToken/],
    [{ refreshHandler: 'x' }, TypeError, /refreshHandler/],
    [{ events: 'x' }, TypeError, /events/],
    [{ refreshTimeoutMs: 0 }, RangeError, /refreshTimeoutMs/],
    [{ refreshTimeoutMs: NaN }, RangeError, /refreshTimeoutMs/],
    [{ expirySkewMs: -1 }, RangeError, /expirySkewMs/],
  ])('rejects %p with a typed error naming the option', (params, type, name) => {
    expect(() => new OAuth2(params as never)).toThrow(type);
    expect(() => new OAuth2(params as never)).toThrow(name);
  });

  it('never puts a token into a validation message', () => {
    try {
      new OAuth2({ accessToken: 'secret-access', refreshToken: 'secret-refresh', expiresAt: 'x' });
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as Error).message).not.toMatch(/secret/);
    }
  });
});

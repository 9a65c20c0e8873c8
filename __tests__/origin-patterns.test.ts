/**
 * allowedOrigins and platformOrigins: exact origins and subdomain wildcards, one helper for both;
 * anything else is a TypeError at attach time that says how to write it.
 */
import axios, { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { OAuth2, attachOAuth2 } from '../src';
import { originMatcher } from '../src/origin-pattern';

const matcher = (patterns: string[]) => originMatcher(patterns, 'options.allowedOrigins');

describe('origin patterns', () => {
  it.each([
    ['https://a.example.com', true],
    ['https://a.b.example.com', true],
    ['https://example.com', false],
    ['https://aexample.com', false],
    ['http://a.example.com', false],
    ['https://a.example.com:8443', false],
    ['https://a.example.com.evil.test', false],
    ['https://xn--bcher-kva.example.com', true],
  ])("'https://*.example.com' matches %s: %p", (origin, expected) => {
    expect(matcher(['https://*.example.com'])(origin)).toBe(expected);
  });

  it('a wildcard with a port matches that port only', () => {
    const matches = matcher(['https://*.example.com:8443']);
    expect(matches('https://a.example.com:8443')).toBe(true);
    expect(matches('https://a.example.com')).toBe(false);
  });

  it('exact origins are normalised: case, default port, a trailing slash, IDNA', () => {
    const matches = matcher(['HTTPS://API.Example.com:443/', 'https://bücher.example']);
    expect(matches('https://api.example.com')).toBe(true);
    expect(matches('https://xn--bcher-kva.example')).toBe(true);
    expect(matches('https://api.example.com:444')).toBe(false);
  });

  it.each([
    ['a bare *', '*'],
    ['a path', 'https://api.example.com/v1'],
    ['a query', 'https://api.example.com?x=1'],
    ['an empty query', 'https://api.example.com?'],
    ['a fragment', 'https://api.example.com#x'],
    ['credentials', 'https://user:pass@api.example.com'],
    ['no scheme', 'api.example.com'],
    ['another scheme', 'ftp://api.example.com'],
    ['a wildcard in the middle', 'https://api.*.example.com'],
    ['a wildcard with a path', 'https://*.example.com/v1'],
    ['a wildcard over an IP address', 'https://*.[::1]'],
    ['a wildcard over a whole top-level domain', 'https://*.com'],
    ['a wildcard over another top-level domain', 'https://*.cloud'],
    ['two wildcards', 'https://*.*.example.com'],
    ['a wildcard inside a label', 'https://*.ex*ample.com'],
    ['a number', 42],
  ])(
    'refuses %s with a TypeError that names the option and shows how to write it',
    (_label, pattern) => {
      expect(() => originMatcher([pattern], 'options.allowedOrigins')).toThrow(TypeError);
      expect(() => originMatcher([pattern], 'options.allowedOrigins')).toThrow(
        /options\.allowedOrigins .*'https:\/\/api\.example\.com' or 'https:\/\/\*\.example\.com'/,
      );
    },
  );

  it('refuses a value that is not an array', () => {
    expect(() => originMatcher('https://api.example.com', 'options.allowedOrigins')).toThrow(
      /must be an array/,
    );
  });

  it('attachOAuth2 throws the TypeError at attach time and attaches nothing', () => {
    const oauth2 = new OAuth2({ accessToken: 't' });
    const api = axios.create();
    expect(() =>
      attachOAuth2(api, { oauth2, allowedOrigins: ['https://api.example.com/v1'] }),
    ).toThrow(/attachOAuth2 options\.allowedOrigins holds "https:\/\/api\.example\.com\/v1"/);
    expect(
      (api.interceptors.request as unknown as { handlers: unknown[] }).handlers.filter(Boolean),
    ).toEqual([]);
    oauth2.destroy();
  });

  it('attachOAuth2 sends the token to wildcard-matched origins only', async () => {
    const oauth2 = new OAuth2({ accessToken: 't' });
    const seen: unknown[] = [];
    const api = axios.create({
      adapter: async (config: InternalAxiosRequestConfig) => {
        seen.push(AxiosHeaders.from(config.headers).get('Authorization'));
        return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
      },
    });
    attachOAuth2(api, { oauth2, allowedOrigins: ['https://*.cdn.example'] });
    for (const url of [
      'https://img.cdn.example/a',
      'https://cdn.example/a',
      'https://evil.test/a',
    ]) {
      await api.get(url);
    }
    expect(seen).toEqual(['Bearer t', undefined, undefined]);
    oauth2.destroy();
  });
});

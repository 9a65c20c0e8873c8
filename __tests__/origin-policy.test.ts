/**
 * The origin policy's parts that random URLs reach rarely: the page's own origin and its base
 * URL in a browser-like global, axios version checks, and URL forms axios calls absolute.
 */
import axios, { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { OAuth2, attachOAuth2 } from '../src';
import { isAtLeast, resolveOrigin } from '../src/origins';

function recordingApi(baseURL?: string) {
  const seen: unknown[] = [];
  const api = axios.create({
    baseURL,
    adapter: async (config: InternalAxiosRequestConfig) => {
      seen.push(AxiosHeaders.from(config.headers).get('Authorization') ?? null);
      return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
    },
  });
  return { api, seen };
}

describe('the origin policy', () => {
  const oauth2 = new OAuth2({ accessToken: 't' });
  afterAll(() => oauth2.destroy());

  it.each<[string, string | undefined, string, unknown]>([
    ['a path with a double slash inside', 'https://api.example.com', 'items//2', 'Bearer t'],
    ['a scheme with a digit', 'https://api.example.com', 'a1b://evil.test/x', null],
    ['a scheme-relative URL', 'https://api.example.com', '//evil.test/x', null],
    [
      'an absolute URL on the base origin',
      'https://api.example.com/v1',
      'https://api.example.com/x',
      'Bearer t',
    ],
    ['an http base', 'http://api.example.com/v1', '/x', 'Bearer t'],
    ['a base with a query', 'https://api.example.com?x=1', 'y', 'Bearer t'],
    [
      'a base with credentials, judged on the joined string',
      'https://user@api.example.com',
      '/x',
      'Bearer t',
    ],
    ['a data: URL', undefined, 'data:text/plain,hi', null],
  ])('%s', async (_label, baseURL, url, expected) => {
    const { api, seen } = recordingApi(baseURL);
    attachOAuth2(api, { oauth2 });
    await api.get(url).catch(() => undefined);
    expect(seen).toEqual([expected]);
  });

  it.each<[string, string, Record<string, unknown>, unknown]>([
    [
      'a per-request baseURL elsewhere, with an absolute URL on the API (axios sends to the URL)',
      'https://api.example.com',
      { baseURL: 'https://evil.test', url: 'https://api.example.com/x' },
      'Bearer t',
    ],
    [
      'allowAbsoluteUrls: false pins a URL from user input to a base elsewhere: no token',
      'https://api.example.com',
      { baseURL: 'https://evil.test', url: 'https://api.example.com/x', allowAbsoluteUrls: false },
      null,
    ],
    [
      'allowAbsoluteUrls: false with a base that has credentials: joined as axios joins',
      'https://user@api.example.com',
      { url: 'https://evil.test/x', allowAbsoluteUrls: false },
      'Bearer t',
    ],
    [
      'allowAbsoluteUrls: 0 (falsy, not false): both the joined and the absolute origin must be allowed',
      'https://api.example.com',
      { url: 'https://evil.test/x', allowAbsoluteUrls: 0 },
      null,
    ],
    ['no url at all: the base itself', 'https://api.example.com/v1', {}, 'Bearer t'],
    [
      'an instance base with an opaque origin (file:) trusts nothing',
      'file:///srv/api/',
      { url: 'x' },
      null,
    ],
  ])('%s', async (_label, baseURL, config, expected) => {
    const { api, seen } = recordingApi(baseURL);
    attachOAuth2(api, { oauth2 });
    await api.request(config).catch(() => undefined);
    expect(seen).toEqual([expected]);
  });

  describe('in a browser-like global', () => {
    const saved = { location: globalThis.location, document: globalThis.document };
    afterEach(() => {
      Object.assign(globalThis, saved);
    });

    function pretend(href: string, baseURI = href) {
      Object.assign(globalThis, {
        location: { href, origin: new URL(href).origin },
        document: { baseURI },
      });
    }

    it("a relative URL without baseURL goes to the page's origin, with the token", async () => {
      pretend('https://app.example.com/page');
      const { api, seen } = recordingApi();
      attachOAuth2(api, { oauth2 });
      await api.get('/x');
      await api.get('https://app.example.com/y');
      expect(seen).toEqual(['Bearer t', 'Bearer t']);
    });

    it('a <base href> on another origin moves relative URLs there: no token', async () => {
      pretend('https://app.example.com/page', 'https://cdn.example.net/');
      const { api, seen } = recordingApi();
      attachOAuth2(api, { oauth2 });
      await api.get('/x');
      expect(seen).toEqual([null]);
      expect(resolveOrigin('/x')).toBe('https://cdn.example.net');
    });

    it("a page whose origin is opaque ('null') trusts no relative URL", async () => {
      Object.assign(globalThis, {
        location: { href: 'data:text/html,page', origin: 'null' },
        document: { baseURI: 'data:text/html,page' },
      });
      const { api, seen } = recordingApi();
      attachOAuth2(api, { oauth2 });
      await api.get('/x').catch(() => undefined);
      expect(seen).toEqual([null]);
    });
  });
});

describe('isAtLeast', () => {
  it.each<[string, boolean]>([
    ['1.8.3', true],
    ['1.8.2', false],
    ['1.10.0', true],
    ['1.9', true],
    ['1.8', false],
    ['2.0.0', true],
    ['0.27.2', false],
    ['1.8.3-beta.1', true],
    ['x', false],
    ['', false],
  ])('%p is at least 1.8.3: %p', (version, expected) => {
    expect(isAtLeast(version, [1, 8, 3])).toBe(expected);
  });
});

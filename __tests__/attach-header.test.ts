import axios from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { OAuth2, OAuth2NotInitializedError, attachOAuth2 } from '../src';
import { bearerOf, resetOAuth2 } from './helpers/setup';

afterEach(resetOAuth2);

function recordingInstance(baseURL?: string) {
  const instance = axios.create(baseURL ? { baseURL } : {});
  const mock = new MockAdapter(instance);
  const seen: (string | undefined)[] = [];
  mock.onAny().reply((config) => {
    seen.push(bearerOf(config));
    return [200, {}];
  });
  return { instance, seen };
}

describe('attachOAuth2: the Authorization header', () => {
  it('sets Bearer <accessToken> on requests through the instance', async () => {
    OAuth2.initialize({ accessToken: 'token-0' });
    const { instance, seen } = recordingInstance('https://example.aspro.cloud/api/v1');
    attachOAuth2(instance);
    await instance.get('/core/user/list');
    expect(seen).toEqual(['token-0']);
  });

  it('sends no header with skipOAuth2: true', async () => {
    OAuth2.initialize({ accessToken: 'token-0' });
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance);
    await instance.get('/x', { skipOAuth2: true });
    expect(seen).toEqual([undefined]);
  });

  it('sends no header while there is no access token yet', async () => {
    OAuth2.initialize();
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance);
    await instance.get('/x');
    expect(seen).toEqual([undefined]);
  });

  it('uses the instance given as options.oauth2 rather than the singleton', async () => {
    OAuth2.initialize({ accessToken: 'singleton' });
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance, { oauth2: new OAuth2({ accessToken: 'own' }) });
    await instance.get('/x');
    expect(seen).toEqual(['own']);
  });

  it('throws OAuth2NotInitializedError when neither the singleton nor options.oauth2 exists', () => {
    expect(() => attachOAuth2(axios.create())).toThrow(OAuth2NotInitializedError);
  });

  it.each([
    [{ oauth2: {} }, /options\.oauth2/],
    [{ shouldRefresh: 'yes' }, /options\.shouldRefresh/],
    [{ allowedOrigins: 'https://a.example' }, /options\.allowedOrigins/],
    [{ allowedOrigins: ['not a url'] }, /options\.allowedOrigins/],
    [{ allowedOrigins: ['/relative'] }, /options\.allowedOrigins/],
  ])('rejects bad options %p with a TypeError naming the option', (options, name) => {
    OAuth2.initialize();
    expect(() => attachOAuth2(axios.create(), options as never)).toThrow(TypeError);
    expect(() => attachOAuth2(axios.create(), options as never)).toThrow(name);
  });

  it('refuses an OAuth2 instance that was destroyed', () => {
    const oauth2 = new OAuth2();
    oauth2.destroy();
    expect(() => attachOAuth2(axios.create(), { oauth2 })).toThrow(/live OAuth2/);
  });
});

describe('attachOAuth2: tokens only to allowed origins', () => {
  beforeEach(() => OAuth2.initialize({ accessToken: 'token-0' }));

  it.each([
    ['a relative URL', 'https://example.aspro.cloud/api/v1', '/core/user/list', 'token-0'],
    [
      'an absolute URL on the baseURL origin',
      'https://example.aspro.cloud/api/v1',
      'https://example.aspro.cloud/other',
      'token-0',
    ],
    [
      'an absolute URL on another origin',
      'https://example.aspro.cloud/api/v1',
      'https://evil.example/steal',
      undefined,
    ],
    [
      'the same host on another port',
      'https://example.aspro.cloud',
      'https://example.aspro.cloud:8443/x',
      undefined,
    ],
    [
      'the same host over http',
      'https://example.aspro.cloud',
      'http://example.aspro.cloud/x',
      undefined,
    ],
    [
      'a protocol-relative URL to another host',
      'https://example.aspro.cloud',
      '//evil.example/x',
      undefined,
    ],
    ['an absolute URL without baseURL', undefined, 'https://example.aspro.cloud/x', undefined],
    // In Node a relative URL without baseURL resolves to nothing: axios cannot send it either.
    ['a relative URL without baseURL, in Node', undefined, '/x', undefined],
  ])('%s', async (_label, baseURL, url, expected) => {
    const { instance, seen } = recordingInstance(baseURL);
    attachOAuth2(instance);
    await instance.get(url);
    expect(seen).toEqual([expected]);
  });

  it('sends no token when a request overrides baseURL with another origin', async () => {
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance);
    await instance.get('/x', { baseURL: 'https://evil.example' });
    expect(seen).toEqual([undefined]);
  });

  it('sends the token to an absolute URL that allowAbsoluteUrls: false pins to baseURL', async () => {
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance);
    await instance.get('https://evil.example/x', { allowAbsoluteUrls: false });
    expect(seen).toEqual(['token-0']);
  });

  it('sends the token to origins listed in allowedOrigins, normalised', async () => {
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(instance, { allowedOrigins: ['https://FILES.example.com:443/'] });
    await instance.get('https://files.example.com/upload');
    await instance.get('https://files.example.com:444/upload');
    expect(seen).toEqual(['token-0', undefined]);
  });

  it('follows a baseURL changed after attaching', async () => {
    const { instance, seen } = recordingInstance('https://old.example');
    attachOAuth2(instance);
    instance.defaults.baseURL = 'https://new.example';
    await instance.get('https://new.example/x');
    await instance.get('https://old.example/x');
    expect(seen).toEqual(['token-0', undefined]);
  });
});

describe('attachOAuth2: detach', () => {
  it('detach() ejects both interceptors and is idempotent', async () => {
    OAuth2.initialize({ accessToken: 'token-0' });
    const { instance, seen } = recordingInstance('https://example.aspro.cloud');
    const detach = attachOAuth2(instance);
    detach();
    detach();
    await instance.get('/x');
    expect(seen).toEqual([undefined]);
  });

  it('destroy() ejects the interceptors from every attached instance', async () => {
    const oauth2 = OAuth2.initialize({ accessToken: 'token-0' });
    const first = recordingInstance('https://example.aspro.cloud');
    const second = recordingInstance('https://example.aspro.cloud');
    attachOAuth2(first.instance);
    attachOAuth2(second.instance);
    oauth2.destroy();
    await first.instance.get('/x');
    await second.instance.get('/x');
    expect([...first.seen, ...second.seen]).toEqual([undefined, undefined]);
  });

  it('leaves other interceptors of the instance in place', async () => {
    OAuth2.initialize({ accessToken: 'token-0' });
    const { instance } = recordingInstance('https://example.aspro.cloud');
    const own = instance.interceptors.request.use((config) => {
      config.headers.set('X-Own', '1');
      return config;
    });
    const detach = attachOAuth2(instance);
    detach();
    const response = await instance.get('/x');
    expect(response.config.headers.get('X-Own')).toBe('1');
    instance.interceptors.request.eject(own);
  });
});

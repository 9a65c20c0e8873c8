/**
 * What users do with axios around the plugin, against a real HTTP server on 127.0.0.1, on the
 * http and the fetch adapters: other interceptors, retries, transforms, form and binary bodies,
 * streams, timeouts, cancel tokens, their own Authorization, wrong clocks and rotating tokens.
 */
import { Readable } from 'node:stream';
import axios, {
  AxiosError,
  isCancel,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import axiosRetry from 'axios-retry';
import qs from 'qs';
import { OAuth2, OAuth2Error, attachOAuth2, type OAuth2Params } from '../src';
import { formatPlatformExpiry } from '../src/expiry';
import { deferred, resetOAuth2, until } from './helpers/setup';
import { TokenApi } from './helpers/token-api';

const adapters = ['http', 'fetch'] as const;

describe.each(adapters)('on the %s adapter', (adapter) => {
  let server: TokenApi;

  beforeEach(async () => {
    server = await TokenApi.start({ apiLatencyMs: 0, refreshLatencyMs: 5 });
  });

  afterEach(async () => {
    resetOAuth2();
    jest.restoreAllMocks();
    await server.stop();
  });

  /** The singleton on the server's tokens, refreshing through the token endpoint, and an API client. */
  function setup(params: OAuth2Params = {}): { oauth2: OAuth2; api: AxiosInstance } {
    const tokenClient = axios.create({ baseURL: server.origin, adapter });
    const oauth2 = OAuth2.initialize({
      ...server.currentTokens,
      refreshHandler: async ({ refreshToken }) =>
        (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data,
      ...params,
    });
    const api = axios.create({ baseURL: `${server.origin}/api/v1`, adapter });
    return { oauth2, api };
  }

  const failureOf = (request: Promise<unknown>) =>
    request.then(
      () => {
        throw new Error('expected the request to fail');
      },
      (error: unknown) => error as AxiosError,
    );

  describe('attaching and re-sending', () => {
    it('attaching the same instance twice (a hot reload), then a 401: one refresh, one replay', async () => {
      const { api } = setup();
      attachOAuth2(api);
      attachOAuth2(api);
      server.expireAccessToken();
      await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 2, succeeded: 1 });
    });

    it('re-sending error.config after a replay failed sends a fresh request with the current token', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      server.answerNext('/api/v1/x', 500);
      const error = await failureOf(api.get('/x'));
      expect(error.response?.status).toBe(500);
      expect(error.config?.headers.has('Authorization')).toBe(false);
      await expect(api.request(error.config ?? {})).resolves.toMatchObject({ status: 200 });
      expect(server.received.map((request) => request.authorization)).toEqual([
        'Bearer access-0',
        `Bearer ${oauth2.accessToken}`,
        `Bearer ${oauth2.accessToken}`,
      ]);
      expect(server.counters.refreshes).toBe(1);
    });

    it('re-sending response.config of a replayed request works like a fresh request', async () => {
      const { api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      const first = await api.get('/x');
      await expect(api.request(first.config)).resolves.toMatchObject({ status: 200 });
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 3, succeeded: 2 });
    });

    it.each([
      ['after', true],
      ['before', false],
    ])(
      'axios-retry installed %s attachOAuth2 retries a replay that got a 503',
      async (_order, retryAfter) => {
        const { api } = setup();
        const installRetry = () =>
          axiosRetry(api, {
            retries: 2,
            retryDelay: () => 0,
            retryCondition: (error) => error.response?.status === 503,
          });
        if (!retryAfter) installRetry();
        attachOAuth2(api);
        if (retryAfter) installRetry();
        server.expireAccessToken();
        server.answerNext('/api/v1/x', 503);
        await expect(api.post('/x', { a: 1 })).resolves.toMatchObject({ status: 200 });
        expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 3, succeeded: 1 });
        expect(new Set(server.received.map((request) => request.body.toString()))).toEqual(
          new Set(['{"a":1}']),
        );
      },
    );
  });

  describe('bodies survive a 401 byte for byte', () => {
    /** Sends one request on a revoked token and returns the two bodies the server received. */
    async function twoSends(
      send: (api: AxiosInstance) => Promise<AxiosResponse>,
      { sameContentType = true } = {},
    ) {
      const { api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      await expect(send(api)).resolves.toMatchObject({ status: 200 });
      expect(server.received).toHaveLength(2);
      const [first, replay] = server.received;
      if (sameContentType) expect(replay.contentType).toBe(first.contentType);
      return [first, replay];
    }

    it('a per-request qs.stringify transformRequest', async () => {
      const [first, replay] = await twoSends((api) =>
        api.post(
          '/x',
          { a: 1, b: { c: 'd e' } },
          { transformRequest: [(data: unknown) => qs.stringify(data)] },
        ),
      );
      expect(first.body.toString()).toBe('a=1&b%5Bc%5D=d%20e');
      expect(replay.body.toString()).toBe(first.body.toString());
    });

    it('a per-request JSON.stringify transformRequest', async () => {
      const [first, replay] = await twoSends((api) =>
        api.put(
          '/x',
          { text: 'say "hi"' },
          {
            headers: { 'Content-Type': 'application/json' },
            transformRequest: [(data: unknown) => JSON.stringify(data)],
          },
        ),
      );
      expect(JSON.parse(first.body.toString())).toEqual({ text: 'say "hi"' });
      expect(replay.body.equals(first.body)).toBe(true);
    });

    it('postForm with a plain object', async () => {
      const [first, replay] = await twoSends((api) =>
        api.postForm('/x', { name: 'Ann', count: 2, tags: ['a', 'b'] }),
      );
      expect(first.contentType).toMatch(/^multipart\/form-data; boundary=/);
      expect(first.body.toString()).toContain('name="name"\r\n\r\nAnn');
      expect(replay.body.equals(first.body)).toBe(true);
    });

    it('a FormData with a field and a file (each send may draw its own boundary)', async () => {
      const [first, replay] = await twoSends(
        (api) => {
          const form = new FormData();
          form.append('field', 'value');
          form.append('file', new Blob(['file content'], { type: 'text/plain' }), 'a.txt');
          return api.post('/x', form);
        },
        { sameContentType: false },
      );
      for (const received of [first, replay]) {
        // axios's fetch adapter in Node labels a FormData body urlencoded, with or without OAuth2.
        const boundary = /boundary=(.+)$/.exec(received.contentType ?? '')?.[1];
        if (adapter === 'http') expect(received.body.toString()).toContain(`--${boundary}--`);
        expect(received.body.toString()).toContain('name="field"\r\n\r\nvalue');
        expect(received.body.toString()).toContain('file content');
      }
    });

    it.each<[string, () => unknown, string]>([
      ['URLSearchParams', () => new URLSearchParams({ q: 'a b', n: '1' }), 'q=a+b&n=1'],
      ['a Blob', () => new Blob(['blob bytes']), 'blob bytes'],
      ['an ArrayBuffer', () => new TextEncoder().encode('array bytes').buffer, 'array bytes'],
      ['a Buffer', () => Buffer.from('buffer bytes'), 'buffer bytes'],
      ['a string', () => 'plain string', 'plain string'],
      ['a JSON object', () => ({ nested: { list: [1, 2] } }), '{"nested":{"list":[1,2]}}'],
    ])('%s', async (_label, body, wire) => {
      const [first, replay] = await twoSends((api) => api.post('/x', body()));
      expect(first.body.toString()).toBe(wire);
      expect(replay.body.toString()).toBe(wire);
    });

    it('a stream upload is never resent empty: BODY_NOT_REPLAYABLE, and the next request has the new token', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      const error = (await failureOf(
        api.post('/upload', Readable.from([Buffer.from('chunk-1'), Buffer.from('chunk-2')]), {
          headers: { 'Content-Type': 'application/octet-stream' },
        }),
      )) as unknown as OAuth2Error;
      expect(error).toBeInstanceOf(OAuth2Error);
      expect(error).toMatchObject({ name: 'OAuth2Error', code: 'BODY_NOT_REPLAYABLE' });
      expect((error.cause as AxiosError).response?.status).toBe(401);
      expect(server.received.map((request) => request.path)).toEqual(['/api/v1/upload']);
      await expect(api.get('/after')).resolves.toMatchObject({ status: 200 });
      expect(server.received[1].authorization).toBe(`Bearer ${oauth2.accessToken}`);
    });
  });

  describe('other interceptors', () => {
    it('a response interceptor registered before attachOAuth2 that returns response.data: the caller gets the data, later interceptors run once', async () => {
      const { api } = setup();
      api.interceptors.response.use((response) => response.data as AxiosResponse);
      attachOAuth2(api);
      const seenByLater: unknown[] = [];
      api.interceptors.response.use((data) => {
        seenByLater.push(data);
        return data;
      });
      server.expireAccessToken();
      await expect(api.get('/x')).resolves.toEqual({ path: '/api/v1/x', bytes: 0 });
      expect(seenByLater).toEqual([{ path: '/api/v1/x', bytes: 0 }]);
    });

    it('a request interceptor registered after attach that replaces config.headers with a plain object', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      let calls = 0;
      api.interceptors.request.use((config) => {
        calls += 1;
        config.headers = { ...config.headers.toJSON(), 'X-App': 'zoo' } as never;
        return config;
      });
      server.expireAccessToken();
      await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
      expect(calls).toBe(1);
      expect(server.received[1].authorization).toBe(`Bearer ${oauth2.accessToken}`);
    });
  });

  describe('time bounds on the wait for a refresh', () => {
    it('timeout: 300 bounds the wait: it rejects as axios does, and the refresh goes on for the others', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      server.holdRefresh = true;
      const patient = failureOf(api.get('/patient'));
      const hurried = await failureOf(api.get('/hurried', { timeout: 300 }));
      expect(hurried).toMatchObject({
        code: adapter === 'fetch' ? 'ETIMEDOUT' : 'ECONNABORTED',
        message: 'timeout of 300ms exceeded',
      });
      expect(oauth2.isRefreshing).toBe(true);
      const clarified = await failureOf(
        api.get('/clarified', { timeout: 50, transitional: { clarifyTimeoutError: true } }),
      );
      expect(clarified.code).toBe('ETIMEDOUT');
      await server.stop();
      await expect(patient).resolves.toMatchObject({ name: 'OAuth2RefreshError' });
    });

    it('a CancelToken cancels the wait at once, with its own reason', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      server.holdRefresh = true;
      const source = axios.CancelToken.source();
      const request = failureOf(api.get('/x', { cancelToken: source.token }));
      await until(() => server.counters.refreshes === 1);
      source.cancel('the user left the page');
      const error = await request;
      expect(isCancel(error)).toBe(true);
      expect(error.message).toBe('the user left the page');
      expect(oauth2.isRefreshing).toBe(true);
    });
  });

  describe('a wait, then the send', () => {
    it("a request with a timeout that waits for a refresh in time: sent with what is left, response.config is the caller's", async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      server.setRefreshLatency(100);
      const first = api.get('/first');
      await until(() => server.counters.refreshes === 1);
      const waited = await api.get('/waited', { timeout: 5000 });
      expect(waited.status).toBe(200);
      expect(waited.config.timeout).toBe(5000);
      expect(waited.config.headers.has('Authorization')).toBe(false);
      await first;
      expect(server.received.at(-1)?.authorization).toBe(`Bearer ${oauth2.accessToken}`);
    });

    it('a send after a wait that then times out says the timeout the caller gave', async () => {
      await server.stop();
      server = await TokenApi.start({ apiLatencyMs: 400, refreshLatencyMs: 100 });
      const { api } = setup({ expiresAt: new Date(Date.now() - 1000) });
      attachOAuth2(api);
      const error = await failureOf(api.get('/slow', { timeout: 300 }));
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 1 });
      expect(error.message).toBe('timeout of 300ms exceeded');
      expect(error.config?.timeout).toBe(300);
      expect(error.config?.headers.has('Authorization')).toBe(false);
    });

    it("a request with a timeout that waits, then gets a 500: its error and response hold the caller's config", async () => {
      const { api } = setup({ expiresAt: new Date(Date.now() - 1000) });
      attachOAuth2(api);
      server.answerNext('/api/v1/fails', 500);
      const error = await failureOf(api.get('/fails', { timeout: 5000 }));
      expect(error.message).toBe('Request failed with status code 500');
      expect(error.config?.timeout).toBe(5000);
      expect(error.response?.config.timeout).toBe(5000);
      expect(error.response?.config.headers.has('Authorization')).toBe(false);
    });

    it(`the request goes out on the ${adapter} adapter it named`, async () => {
      const { api } = setup();
      attachOAuth2(api);
      const response = await api.get('/x');
      const sentThroughFetch =
        typeof Request !== 'undefined' && response.request instanceof Request;
      expect(sentThroughFetch).toBe(adapter === 'fetch');
    });
  });

  describe('caller intent', () => {
    it('a Basic Authorization header set on one request is sent as is, and its 401 is not handled', async () => {
      const { api } = setup();
      attachOAuth2(api);
      const error = await failureOf(
        api.get('/x', { headers: { Authorization: 'Basic dXNlcjpw' } }),
      );
      expect(error.response?.status).toBe(401);
      expect(server.received.map((request) => request.authorization)).toEqual(['Basic dXNlcjpw']);
      expect(server.counters.refreshes).toBe(0);
    });

    it("an Authorization header in the instance's defaults is replaced by the token", async () => {
      const { oauth2, api } = setup();
      api.defaults.headers.common.Authorization = 'Bearer left-from-before';
      attachOAuth2(api);
      await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
      expect(server.received[0].authorization).toBe(`Bearer ${oauth2.accessToken}`);
    });
  });

  describe('found by trying to break it', () => {
    it('an app that keeps a default Authorization in sync: re-sending error.config and axios-retry still work', async () => {
      const { oauth2, api } = setup();
      api.defaults.headers.common.Authorization = `Bearer ${oauth2.accessToken}`;
      oauth2.events = {
        onRefresh: (tokens) => {
          api.defaults.headers.common.Authorization = `Bearer ${tokens.accessToken}`;
        },
      };
      attachOAuth2(api);
      axiosRetry(api, {
        retries: 2,
        retryDelay: () => 0,
        retryCondition: (error) => error.response?.status === 503,
      });
      server.expireAccessToken();
      server.answerNext('/api/v1/x', 500);
      const error = await failureOf(api.get('/x'));
      expect(error.response?.status).toBe(500);
      await expect(api.request(error.config ?? {})).resolves.toMatchObject({ status: 200 });
      server.expireAccessToken();
      server.answerNext('/api/v1/y', 503);
      await expect(api.get('/y')).resolves.toMatchObject({ status: 200 });
      expect(server.counters.refreshes).toBe(2);
    });

    it("responseType 'arraybuffer': a 401 whose body says insufficient_scope does not refresh", async () => {
      const { api } = setup();
      attachOAuth2(api);
      server.expireAccessToken();
      const scoped = await TokenApi.start({ apiLatencyMs: 0 });
      try {
        api.defaults.baseURL = `${scoped.origin}/api/v1`;
        scoped.rejectEveryToken = true;
        scoped.scopeErrorInBody = true;
        const error = await failureOf(api.get('/x', { responseType: 'arraybuffer' }));
        expect(error.response?.status).toBe(401);
        expect(server.counters.refreshes).toBe(0);
      } finally {
        await scoped.stop();
      }
    });

    it('validateStatus that accepts every status: a 401 still refreshes and replays', async () => {
      const { api } = setup();
      api.defaults.validateStatus = () => true;
      attachOAuth2(api);
      server.expireAccessToken();
      const statuses: number[] = [];
      for (let request = 0; request < 3; request += 1) statuses.push((await api.get('/x')).status);
      expect(statuses).toEqual([200, 200, 200]);
      expect(server.counters.refreshes).toBe(1);
    });

    it('validateStatus that accepts 401, on a 401 that says insufficient_scope: the response as is', async () => {
      const { api } = setup();
      api.defaults.validateStatus = () => true;
      attachOAuth2(api, { shouldRefresh: () => false });
      server.expireAccessToken();
      await expect(api.get('/x')).resolves.toMatchObject({ status: 401 });
      expect(server.counters.refreshes).toBe(0);
    });

    it('a failed refresh ahead of the expiry lets the request go out; the server accepts the token', async () => {
      const { api } = setup({
        expiresAt: new Date(Date.now() - 1000),
        refreshHandler: async () => {
          throw new Error('network blip');
        },
      });
      attachOAuth2(api);
      await expect(api.get('/x')).resolves.toMatchObject({ status: 200 });
      expect(server.counters.apiHits).toBe(1);
    });

    it('a request aborted before it is sent: error.config holds nothing of ours', async () => {
      const { api } = setup();
      const instanceAdapter = api.defaults.adapter;
      attachOAuth2(api);
      const error = await failureOf(api.post('/x', {}, { signal: AbortSignal.abort() }));
      expect(isCancel(error)).toBe(true);
      expect(error.config?.adapter).toBe(instanceAdapter);
      expect(server.counters.apiHits).toBe(0);
    });

    it('a timeout without any wait keeps the message this adapter gives without the plugin', async () => {
      await server.stop();
      server = await TokenApi.start({ apiLatencyMs: 400, refreshLatencyMs: 5 });
      const { api } = setup();
      const bare = axios.create({ baseURL: `${server.origin}/api/v1`, adapter });
      attachOAuth2(api);
      const options = { timeout: 50, timeoutErrorMessage: 'the API is slow today' };
      const expected = await failureOf(bare.get('/bare', options));
      const error = await failureOf(api.get('/x', options));
      expect(error.message).toBe(expected.message);
      expect(error.code).toBe(expected.code);
    });

    it("an error that is not axios's, from a custom adapter, reaches the caller untouched", async () => {
      const { api } = setup({ expiresAt: new Date(Date.now() - 1000) });
      attachOAuth2(api);
      const broken = new Error('adapter broke');
      const error = await failureOf(
        api.get('/x', { timeout: 5000, adapter: () => Promise.reject(broken) }),
      );
      expect(error).toBe(broken);
      expect(Object.keys(broken)).toEqual([]);
    });

    it("after a wait that shortened the timeout, an adapter's own error that mentions a timeout keeps its message", async () => {
      const { api } = setup({ expiresAt: new Date(Date.now() - 1000) });
      attachOAuth2(api);
      const upstream = (config: InternalAxiosRequestConfig) =>
        Promise.reject(new AxiosError('gateway timeout upstream', 'ERR_BAD_RESPONSE', config));
      const error = await failureOf(api.get('/x', { timeout: 5000, adapter: upstream }));
      expect(server.counters.refreshes).toBe(1);
      expect(error.message).toBe('gateway timeout upstream');
      expect(error.config?.timeout).toBe(5000);
    });

    it('a timeout while waiting for the refresh has the code axios uses on this adapter', async () => {
      const { api } = setup();
      attachOAuth2(api);
      server.setRefreshLatency(500);
      const onTheWire = await failureOf(
        axios.create({ adapter }).post(`${server.origin}/oauth/token`, {}, { timeout: 50 }),
      );
      server.expireAccessToken();
      const waiting = await failureOf(api.get('/x', { timeout: 100 }));
      expect(waiting.code).toBe(onTheWire.code);
      expect(waiting.message).toBe('timeout of 100ms exceeded');
    });
  });

  describe('URLs built from user input', () => {
    it.each<[string, (other: string) => { url: string; allowAbsoluteUrls?: boolean }]>([
      ['a leading space', (other) => ({ url: ` ${other}/collect` })],
      ['a leading tab', (other) => ({ url: `\t${other}/collect` })],
      ['a trailing newline', (other) => ({ url: `${other}/collect\n` })],
      [
        'allowAbsoluteUrls: false on an instance without baseURL',
        (other) => ({ url: `${other}/collect`, allowAbsoluteUrls: false }),
      ],
    ])(
      '%s: another origin never gets the token, nor triggers a refresh',
      async (_label, config) => {
        const elsewhere = await TokenApi.start({ apiLatencyMs: 0 });
        try {
          const { api } = setup();
          api.defaults.baseURL = undefined;
          attachOAuth2(api, { allowedOrigins: [server.origin] });
          await api.request(config(`${elsewhere.origin}/api`)).catch(() => undefined);
          expect(elsewhere.received.map((request) => request.authorization)).toEqual([undefined]);
          expect(server.counters.refreshes).toBe(0);
        } finally {
          await elsewhere.stop();
        }
      },
    );
  });

  describe('defaults and detaching', () => {
    it.each<[string, (api: AxiosInstance) => void]>([
      ['common', (api) => (api.defaults.headers.common.Authorization = 'Bearer stale')],
      ['per method', (api) => (api.defaults.headers.post.Authorization = 'Bearer stale')],
      [
        'top level',
        (api) => Object.assign(api.defaults.headers, { Authorization: 'Bearer stale' }),
      ],
      [
        'lower-case',
        (api) => Object.assign(api.defaults.headers.common, { authorization: 'Bearer stale' }),
      ],
    ])('an Authorization default set %s is replaced by the token', async (_label, setDefault) => {
      const { oauth2, api } = setup();
      setDefault(api);
      attachOAuth2(api);
      await expect(api.post('/x', {})).resolves.toMatchObject({ status: 200 });
      expect(server.received[0].authorization).toBe(`Bearer ${oauth2.accessToken}`);
    });

    it('a request whose adapter is the stand-in of another copy of the SDK goes out once, through ours', async () => {
      const { oauth2, api } = setup();
      attachOAuth2(api);
      const otherCopy = Object.assign(
        () => Promise.reject(new Error('the other copy must not send')),
        { [Symbol.for('@aspro-cloud/miniapp-jssdk.adapter')]: adapter },
      );
      server.expireAccessToken();
      await expect(api.get('/x', { adapter: otherCopy })).resolves.toMatchObject({ status: 200 });
      expect(server.received.map((request) => request.authorization)).toEqual([
        'Bearer access-0',
        `Bearer ${oauth2.accessToken}`,
      ]);
    });

    it('with no access token, a default Authorization is not sent either', async () => {
      const { api } = setup({ accessToken: '' });
      api.defaults.headers.common.Authorization = 'Bearer stale';
      attachOAuth2(api);
      await api.get('/x').catch(() => undefined);
      expect(server.received[0].authorization).toBeUndefined();
    });

    it('detached while its request is on the wire: the 401 comes back, no refresh', async () => {
      await server.stop();
      server = await TokenApi.start({ apiLatencyMs: 100, refreshLatencyMs: 5 });
      const { api } = setup();
      const detach = attachOAuth2(api);
      server.expireAccessToken();
      const request = failureOf(api.get('/x'));
      await server.apiHitsReached(1);
      detach();
      expect((await request).response?.status).toBe(401);
      expect(server.counters).toMatchObject({ refreshes: 0, apiHits: 1 });
    });

    it('detached while its request waits for the refresh: the 401 comes back, no replay', async () => {
      const { api } = setup();
      const detach = attachOAuth2(api);
      server.expireAccessToken();
      server.setRefreshLatency(100);
      const request = failureOf(api.get('/x'));
      await until(() => server.counters.refreshes === 1);
      detach();
      expect((await request).response?.status).toBe(401);
      expect(server.counters.apiHits).toBe(1);
    });

    it('validateStatus that accepts 401, detached while the request is on the wire: the 401 as is, no refresh', async () => {
      await server.stop();
      server = await TokenApi.start({ apiLatencyMs: 100, refreshLatencyMs: 5 });
      const { api } = setup();
      api.defaults.validateStatus = () => true;
      const detach = attachOAuth2(api);
      server.expireAccessToken();
      const request = api.get('/x');
      await server.apiHitsReached(1);
      detach();
      await expect(request).resolves.toMatchObject({ status: 401 });
      expect(server.counters.refreshes).toBe(0);
    });

    it("a request's own Authorization that happens to equal another default header is still its own", async () => {
      const { api } = setup();
      Object.assign(api.defaults.headers.common, { 'X-Api-Key': 'Basic dXNlcjpw' });
      attachOAuth2(api);
      await failureOf(api.get('/x', { headers: { Authorization: 'Basic dXNlcjpw' } }));
      expect(server.received[0].authorization).toBe('Basic dXNlcjpw');
    });

    it('validateStatus that accepts 401, and a server that rejects every token: one refresh, one replay, the 401 as is', async () => {
      const { api } = setup();
      api.defaults.validateStatus = () => true;
      attachOAuth2(api);
      server.rejectEveryToken = true;
      await expect(api.get('/x')).resolves.toMatchObject({ status: 401 });
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 2 });
    });

    it('validateStatus that accepts 401, with a stream body: BODY_NOT_REPLAYABLE caused by the 401', async () => {
      const { api } = setup();
      api.defaults.validateStatus = () => true;
      attachOAuth2(api);
      server.expireAccessToken();
      const error = (await failureOf(
        api.post('/upload', Readable.from([Buffer.from('chunk')]), {
          headers: { 'Content-Type': 'application/octet-stream' },
        }),
      )) as unknown as OAuth2Error;
      expect(error.code).toBe('BODY_NOT_REPLAYABLE');
      expect(error.message).toMatch(/stream that was already consumed/);
      expect((error.cause as AxiosError).message).toBe('Request failed with status code 401');
      expect((error.cause as AxiosError).response?.status).toBe(401);
    });

    it('a config that still names our stand-in adapter is sent once, with one token', async () => {
      const { api } = setup();
      let refuseOnce = true;
      api.interceptors.request.use((config) => {
        if (!refuseOnce) return config;
        refuseOnce = false;
        throw new AxiosError('not yet', 'ERR_NOT_YET', config);
      });
      attachOAuth2(api);
      server.rejectEveryToken = true;
      const refused = await failureOf(api.get('/x'));
      expect(typeof refused.config?.adapter).toBe('function');
      const error = await failureOf(api.request(refused.config ?? {}));
      expect(error.response?.status).toBe(401);
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 2 });
    });

    it('one stand-in adapter per adapter, not one per request', async () => {
      const { api } = setup();
      const adapters: unknown[] = [];
      api.interceptors.request.use((config) => {
        adapters.push(config.adapter);
        return config;
      });
      attachOAuth2(api);
      await api.get('/a');
      await api.get('/b');
      expect(adapters[0]).toBe(adapters[1]);
    });
  });

  describe('clocks and rotation', () => {
    it('a device clock two hours ahead: fresh platform-format expiries are not thrown away; 5 of 5 succeed, 1 refresh', async () => {
      const realNow = Date.now.bind(Date);
      const twoHours = 2 * 3_600_000;
      const onExpiryDiscarded = jest.fn();
      const tokenClient = axios.create({ baseURL: server.origin, adapter });
      const { api } = setup({
        expiresAt: formatPlatformExpiry(new Date(realNow() + 3_600_000)),
        events: { onExpiryDiscarded },
        refreshHandler: async ({ refreshToken }) => {
          const { data } = await tokenClient.post<{ access_token: string; refresh_token: string }>(
            '/oauth/token',
            { refresh_token: refreshToken },
          );
          const expiresAt = formatPlatformExpiry(new Date(realNow() + 3_600_000));
          return { ...data, expires_in: undefined, expires_at: expiresAt };
        },
      });
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + twoHours);
      attachOAuth2(api);
      for (let request = 0; request < 5; request += 1) {
        await expect(api.get(`/x${request}`)).resolves.toMatchObject({ status: 200 });
      }
      expect(server.counters).toMatchObject({ refreshes: 1, succeeded: 5 });
      expect(onExpiryDiscarded).toHaveBeenCalledTimes(1);
      expect(onExpiryDiscarded.mock.calls[0][0]).toMatchObject({ reason: 'past' });
    });

    it('a token whose lifetime is shorter than expirySkewMs is not refreshed before every request', async () => {
      await server.stop();
      server = await TokenApi.start({
        apiLatencyMs: 0,
        refreshLatencyMs: 0,
        tokenLifetimeSeconds: 2,
      });
      const { api } = setup({ expirySkewMs: 5000 });
      attachOAuth2(api);
      server.expireAccessToken();
      for (let request = 0; request < 5; request += 1) await api.get(`/x${request}`);
      expect(server.counters).toMatchObject({ refreshes: 1, succeeded: 5 });
    });

    it('a refresh that succeeds at the issuer after refreshTimeoutMs: the rotated tokens are adopted, later refreshes work', async () => {
      await server.stop();
      server = await TokenApi.start({ apiLatencyMs: 0, refreshLatencyMs: 300 });
      const adopted = deferred<void>();
      const { oauth2, api } = setup({
        refreshTimeoutMs: 100,
        events: { onRefresh: () => adopted.resolve() },
      });
      attachOAuth2(api);
      server.expireAccessToken();
      await expect(failureOf(api.get('/slow'))).resolves.toMatchObject({
        code: 'REFRESH_TIMEOUT',
      });
      await adopted.promise;
      expect(oauth2.refreshToken).toBe(server.currentTokens.refreshToken);
      await expect(api.get('/adopted')).resolves.toMatchObject({ status: 200 });
      server.setRefreshLatency(0);
      server.expireAccessToken();
      await expect(api.get('/later')).resolves.toMatchObject({ status: 200 });
      expect(server.counters.refreshes).toBe(2);
    });

    it('a refreshHandler that calls oauth2.refresh() before its first await joins the flight: one token request', async () => {
      const tokenClient = axios.create({ baseURL: server.origin, adapter });
      let joined: Promise<unknown> | undefined;
      const { oauth2 } = setup({
        refreshHandler: ({ refreshToken }) => {
          joined = oauth2.refresh();
          return tokenClient
            .post('/oauth/token', { refresh_token: refreshToken })
            .then((response) => response.data as object);
        },
      });
      const flight = oauth2.refresh();
      await expect(flight).resolves.toMatchObject({ accessToken: 'access-1' });
      expect(joined).toBe(flight);
      expect(server.counters.refreshes).toBe(1);
    });
  });
});

/**
 * The refresh storm on every axios version in the peer range and every adapter it has, against
 * a real HTTP server on 127.0.0.1. Each version gets its own copy of the SDK, loaded against
 * that axios as a user who has it installed would get it: the SDK resolves the adapter through
 * its own `axios.getAdapter`, so an SDK bound to the newest axios would send an old instance's
 * requests through the newest adapters and the matrix would test nothing.
 */
import type { ClientRequest } from 'node:http';
import axios, { type AxiosInstance, type AxiosStatic } from 'axios';
import axios160 from 'axios-1.6.0';
import axios179 from 'axios-1.7.9';
import { version as newestVersion } from 'axios/package.json';
import type { OAuth2Params } from '../src';
import { resetOAuth2 } from './helpers/setup';
import { TokenApi } from './helpers/token-api';

type AdapterName = 'http' | 'fetch';

const STORM = 50;

/** [version, that axios's module, the adapters it has]: each row is checked against the module. */
const versions: [string, AxiosStatic, readonly AdapterName[]][] = [
  ['1.6.0', axios160 as unknown as AxiosStatic, ['http']],
  ['1.7.9', axios179 as unknown as AxiosStatic, ['http', 'fetch']],
  [newestVersion, axios, ['http', 'fetch']],
];

describe.each(versions)('axios %s', (version, axiosUnderTest, adapters) => {
  let sdk: typeof import('../src');

  beforeAll(() => {
    // The table cannot lie: the module is the version it is labelled with.
    expect(axiosUnderTest.VERSION).toBe(version);
    jest.isolateModules(() => {
      jest.doMock('axios', () => axiosUnderTest);
      sdk = jest.requireActual<typeof import('../src')>('../src');
    });
    jest.dontMock('axios');
  });

  it(`has exactly the adapters the table lists (${adapters.join(', ')})`, () => {
    for (const name of ['http', 'fetch'] as const) {
      const available = (() => {
        try {
          return typeof axiosUnderTest.getAdapter(name) === 'function';
        } catch {
          return false;
        }
      })();
      expect([name, available]).toEqual([name, adapters.includes(name)]);
    }
  });

  describe.each(adapters)('on the %s adapter', (adapter) => {
    let server: TokenApi;

    beforeEach(async () => {
      server = await TokenApi.start();
    });

    afterEach(async () => {
      resetOAuth2();
      await server.stop();
    });

    /**
     * The singleton on the server's tokens, refreshing through the token endpoint (with the
     * newest axios), and an API client made by the axios under test, attached with its SDK copy.
     */
    function setup(params: OAuth2Params = {}) {
      const onRefresh = jest.fn();
      const tokenClient = axios.create({ baseURL: server.origin });
      sdk.OAuth2.initialize({
        ...server.currentTokens,
        refreshHandler: async ({ refreshToken }) =>
          (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data,
        events: { onRefresh },
        ...params,
      });
      const api = axiosUnderTest.create({ baseURL: `${server.origin}/api/v1`, adapter });
      sdk.attachOAuth2(api);
      return { api, onRefresh };
    }

    /** Fires `STORM` GETs at once, each on its own path. */
    const storm = (api: AxiosInstance) =>
      Promise.all(Array.from({ length: STORM }, (_, index) => api.get(`/items/${index}`)));

    /** What the server saw with each token, in the order the requests arrived. */
    const authorizations = () => server.received.map((request) => request.authorization);

    it(`a storm of ${STORM} concurrent requests on a rejected token: 1 refresh, ${STORM} succeed`, async () => {
      const { api, onRefresh } = setup();
      server.expireAccessToken();
      const responses = await storm(api);

      expect(responses.map((response) => response.status)).toEqual(Array(STORM).fill(200));
      expect(server.counters.refreshes).toBe(1);
      expect(server.counters.succeeded).toBe(STORM);
      expect(onRefresh).toHaveBeenCalledTimes(1);
      expect(onRefresh).toHaveBeenCalledWith(expect.objectContaining({ accessToken: 'access-1' }));
      // Each request got through once, on the new token; everything else was the old one, refused.
      expect(authorizations().filter((value) => value === 'Bearer access-1')).toHaveLength(STORM);
      expect(server.counters.unauthorized).toBe(server.counters.apiHits - STORM);
      expect(new Set(authorizations())).toEqual(new Set(['Bearer access-0', 'Bearer access-1']));
      // The requests went out through this version's adapter, not another copy's.
      for (const response of responses) {
        if (adapter === 'fetch') expect(response.request).toBeInstanceOf(Request);
        else
          expect((response.request as ClientRequest).getHeader('user-agent')).toBe(
            `axios/${version}`,
          );
      }
    });

    it(`a token known to be expired: refreshed before sending, 0 stale sends`, async () => {
      const { api, onRefresh } = setup({ expiresAt: new Date(Date.now() - 60_000) });
      server.expireAccessToken();
      const responses = await storm(api);

      expect(responses.map((response) => response.status)).toEqual(Array(STORM).fill(200));
      expect(server.counters.refreshes).toBe(1);
      expect(onRefresh).toHaveBeenCalledTimes(1);
      expect(server.counters).toMatchObject({ apiHits: STORM, succeeded: STORM, unauthorized: 0 });
      expect(authorizations()).toEqual(Array(STORM).fill('Bearer access-1'));
    });

    it('a POST with a JSON body on a rejected token is replayed with the same body', async () => {
      const { api, onRefresh } = setup();
      server.expireAccessToken();
      const payload = { name: 'Ann', note: 'привет, "мир"', list: [1, { deep: null }] };
      const wire = JSON.stringify(payload);

      const response = await api.post('/orders', payload);

      expect(response.status).toBe(200);
      expect(response.data).toEqual({ path: '/api/v1/orders', bytes: Buffer.byteLength(wire) });
      expect(server.counters).toMatchObject({ refreshes: 1, apiHits: 2, unauthorized: 1 });
      expect(onRefresh).toHaveBeenCalledTimes(1);
      const [first, replay] = server.received;
      expect(
        [first, replay].map(({ method, path, authorization }) => [method, path, authorization]),
      ).toEqual([
        ['POST', '/api/v1/orders', 'Bearer access-0'],
        ['POST', '/api/v1/orders', 'Bearer access-1'],
      ]);
      expect(first.body.toString('utf8')).toBe(wire);
      expect(replay.body.equals(first.body)).toBe(true);
      expect(first.contentType).toMatch(/^application\/json/);
      expect(replay.contentType).toBe(first.contentType);
    });
  });
});

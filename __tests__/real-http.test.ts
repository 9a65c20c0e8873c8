import axios from 'axios';
import { OAuth2, OAuth2RefreshError, attachOAuth2 } from '../src';
import { resetOAuth2 } from './helpers/setup';
import { TokenApi } from './helpers/token-api';

let api: TokenApi;

beforeEach(async () => {
  api = await TokenApi.start();
});

afterEach(async () => {
  resetOAuth2();
  await api.stop();
});

/** A refresh handler that trades the refresh token at the API's token endpoint, as a backend would. */
function tokenEndpointHandler(origin: string) {
  const tokenClient = axios.create({ baseURL: origin });
  return async ({ refreshToken }: { refreshToken: string }) =>
    (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data;
}

function attachedClient(expiresAt: number | null = null) {
  const onRefresh = jest.fn();
  OAuth2.initialize({
    ...api.currentTokens,
    expiresAt,
    refreshHandler: tokenEndpointHandler(api.origin),
    events: { onRefresh },
  });
  const client = axios.create({ baseURL: `${api.origin}/api/v1` });
  attachOAuth2(client);
  return { client, onRefresh };
}

describe('against a real HTTP API on 127.0.0.1', () => {
  it('a burst of 100 requests on a stale token: 100 succeed after one refresh', async () => {
    const { client, onRefresh } = attachedClient();
    api.expireAccessToken();
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, index) => client.get(`/core/user/get/${index}`)),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(api.counters).toEqual({
      apiHits: 200,
      unauthorized: 100,
      succeeded: 100,
      refreshes: 1,
      unauthorizedDuringRefresh: 0,
    });
    expect(onRefresh).toHaveBeenCalledTimes(1);
    expect(OAuth2.getInstance().accessToken).toBe('access-1');
    expect(OAuth2.getInstance().expiresAt).not.toBeNull();
  });

  it('a token known to be expired is refreshed first: no 401 at all', async () => {
    const { client } = attachedClient(Date.now() - 1000);
    api.expireAccessToken();
    await Promise.all(Array.from({ length: 100 }, () => client.get('/core/user/list')));
    expect(api.counters).toEqual({
      apiHits: 100,
      unauthorized: 0,
      succeeded: 100,
      refreshes: 1,
      unauthorizedDuringRefresh: 0,
    });
  });

  it('a refused refresh fails every request with OAuth2RefreshError and keeps the old tokens', async () => {
    const { client } = attachedClient();
    const before = OAuth2.getInstance().accessToken;
    api.expireAccessToken();
    api.rejectRefresh = true;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.get('/core/user/list')),
    );
    expect(
      outcomes.every(
        (outcome) => outcome.status === 'rejected' && outcome.reason instanceof OAuth2RefreshError,
      ),
    ).toBe(true);
    expect(api.counters.refreshes).toBe(1);
    expect(OAuth2.getInstance().accessToken).toBe(before);
  });

  it('a server that rejects even fresh tokens gets one refresh and one replay per request', async () => {
    const { client } = attachedClient();
    api.rejectEveryToken = true;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.get('/core/user/list')),
    );
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(api.counters).toEqual({
      apiHits: 100,
      unauthorized: 100,
      succeeded: 0,
      refreshes: 1,
      unauthorizedDuringRefresh: 0,
    });
  });
});

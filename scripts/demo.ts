// A 401 storm against a real HTTP API on 127.0.0.1, with OAuth2 attached to axios.
// Run with `npm run demo`; it needs no setup and exits 0 when every request succeeded.
import axios from 'axios';
import { OAuth2, attachOAuth2 } from '../src';
import { TokenApi } from '../__tests__/helpers/token-api';

const burst = 200;

async function main(): Promise<void> {
  const api = await TokenApi.start({ apiLatencyMs: 10, refreshLatencyMs: 50 });
  let onRefreshCalls = 0;
  const tokenClient = axios.create({ baseURL: api.origin });
  const oauth2 = OAuth2.initialize({
    ...api.currentTokens,
    refreshHandler: async ({ refreshToken }) =>
      (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data,
    events: { onRefresh: () => (onRefreshCalls += 1) },
  });
  const client = axios.create({ baseURL: `${api.origin}/api/v1` });
  attachOAuth2(client);

  console.log(`API listening on ${api.origin}; its access token has just expired.`);
  api.expireAccessToken();
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: burst }, (_, index) => client.get(`/core/user/get/${index}`)),
  );
  const elapsedMs = performance.now() - started;
  const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  const { apiHits, unauthorized, refreshes } = api.counters;

  console.table({
    'requests fired': burst,
    succeeded: succeeded,
    failed: burst - succeeded,
    '401 answers': unauthorized,
    'token refreshes': refreshes,
    replays: apiHits - burst,
    'onRefresh calls': onRefreshCalls,
    'time (ms)': Math.round(elapsedMs),
  });
  console.log(
    `The token is now ${oauth2.accessToken === api.currentTokens.accessToken ? 'current' : 'STALE'}; expires at ${oauth2.expiresAt?.toISOString()}.`,
  );
  oauth2.destroy();
  await api.stop();
  if (succeeded !== burst || refreshes !== 1 || onRefreshCalls !== 1) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// Benchmark, not a test: the same 401 storms through this SDK and through axios-auth-refresh
// (default options, as its README sets it up), against one real HTTP API on 127.0.0.1, then the
// per-request cost of the happy path, then the rate limit beside bare axios, axios-retry and
// bottleneck (scripts/bench-rate-limit.ts). Run with `npm run bench`.
import axios, { type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';
import { OAuth2, attachOAuth2, attachRateLimiter } from '../src';
import { TokenApi } from '../__tests__/helpers/token-api';
import { runRateLimitBench } from './bench-rate-limit';

const requests = Number(process.env.BENCH_REQUESTS ?? 300);

// A client that leaks a rejection nobody can catch gets it counted against it, not a crash.
let unhandledRejections = 0;
process.on('unhandledRejection', () => {
  unhandledRejections += 1;
});

interface Scenario {
  name: string;
  /** Known expiry handed to the client: a token that already expired. */
  expiryKnown?: boolean;
  /** Fire half the requests once the refresh has reached the token endpoint. */
  halfDuringRefresh?: boolean;
  arrange(api: TokenApi): void;
}

const scenarios: Scenario[] = [
  { name: 'stale token, unknown expiry', arrange: (api) => api.expireAccessToken() },
  {
    name: 'half issued while refreshing',
    halfDuringRefresh: true,
    arrange: (api) => api.expireAccessToken(),
  },
  { name: 'token known expired', expiryKnown: true, arrange: (api) => api.expireAccessToken() },
  {
    name: 'refresh fails',
    arrange: (api) => {
      api.expireAccessToken();
      api.rejectRefresh = true;
    },
  },
  { name: 'server rejects fresh tokens', arrange: (api) => (api.rejectEveryToken = true) },
];

type Client = { instance: AxiosInstance; dispose(): void };
type ClientFactory = (api: TokenApi, scenario: Scenario) => Client;

function tokenEndpoint(api: TokenApi) {
  const tokenClient = axios.create({ baseURL: api.origin });
  return async (refreshToken: string) =>
    (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data as {
      access_token: string;
      refresh_token: string;
    };
}

const sdkClient: ClientFactory = (api, scenario) => {
  const trade = tokenEndpoint(api);
  const oauth2 = OAuth2.initialize({
    ...api.currentTokens,
    expiresAt: scenario.expiryKnown ? Date.now() - 1000 : null,
    refreshHandler: ({ refreshToken }) => trade(refreshToken),
  });
  const instance = axios.create({ baseURL: `${api.origin}/api/v1` });
  attachOAuth2(instance);
  return { instance, dispose: () => oauth2.destroy() };
};

const peerClient: ClientFactory = (api) => {
  const trade = tokenEndpoint(api);
  let tokens = api.currentTokens;
  const instance = axios.create({ baseURL: `${api.origin}/api/v1` });
  instance.interceptors.request.use((config) => {
    config.headers.set('Authorization', `Bearer ${tokens.accessToken}`);
    return config;
  });
  createAuthRefreshInterceptor(
    instance,
    async (failedRequest: { response: { config: { headers: Record<string, string> } } }) => {
      const fresh = await trade(tokens.refreshToken);
      tokens = { accessToken: fresh.access_token, refreshToken: fresh.refresh_token };
      failedRequest.response.config.headers['Authorization'] = `Bearer ${tokens.accessToken}`;
    },
  );
  return { instance, dispose: () => undefined };
};

async function runStorm(factory: ClientFactory, scenario: Scenario) {
  const api = await TokenApi.start({ apiLatencyMs: 5, refreshLatencyMs: 50 });
  const client = factory(api, scenario);
  scenario.arrange(api);
  const unhandledBefore = unhandledRejections;
  const started = performance.now();
  const fire = (count: number, during: boolean) =>
    Array.from({ length: count }, (_, index) =>
      client.instance.get(`/core/user/get/${index}`, {
        headers: during ? { 'x-issued-during-refresh': '1' } : {},
      }),
    );
  let pending: Promise<unknown>[];
  if (scenario.halfDuringRefresh) {
    const first = fire(requests / 2, false);
    const deadline = Date.now() + 5000;
    while (api.counters.refreshes === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    pending = [...first, ...fire(requests / 2, true)];
  } else {
    pending = fire(requests, false);
  }
  const outcomes = await Promise.allSettled(pending);
  const timeMs = performance.now() - started;
  await new Promise((resolve) => setImmediate(resolve));
  client.dispose();
  await api.stop();
  const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  return {
    refreshes: api.counters.refreshes,
    succeeded,
    failed: requests - succeeded,
    '401s': api.counters.unauthorized,
    'stale during refresh': api.counters.unauthorizedDuringRefresh,
    'server hits': api.counters.apiHits,
    'unhandled rejections': unhandledRejections - unhandledBefore,
    'time ms': Math.round(timeMs),
  };
}

async function happyPathCost() {
  const adapter = async (config: InternalAxiosRequestConfig) => ({
    data: null,
    status: 200,
    statusText: 'OK',
    headers: {},
    config,
  });
  const make = (setup: (instance: AxiosInstance) => void) => {
    const instance = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1', adapter });
    setup(instance);
    return instance;
  };
  const header = (config: InternalAxiosRequestConfig) => {
    config.headers.set('Authorization', 'Bearer token');
    return config;
  };
  const oauth2 = new OAuth2({ accessToken: 'token', expiresAt: Date.now() + 3_600_000 });
  const variants: Record<string, AxiosInstance> = {
    'bare axios': make(() => undefined),
    'plain sync header interceptor': make((instance) => {
      instance.interceptors.request.use(header, undefined, { synchronous: true });
    }),
    'plain sync header interceptor, again (noise floor)': make((instance) => {
      instance.interceptors.request.use(header, undefined, { synchronous: true });
    }),
    'plain async header interceptor': make((instance) => {
      instance.interceptors.request.use(header);
    }),
    'plain sync header + response error interceptor': make((instance) => {
      instance.interceptors.request.use(header, undefined, { synchronous: true });
      instance.interceptors.response.use(undefined, (error: unknown) => Promise.reject(error));
    }),
    attachOAuth2: make((instance) => attachOAuth2(instance, { oauth2 })),
    'attachOAuth2 + attachRateLimiter (room to spare)': make((instance) => {
      attachOAuth2(instance, { oauth2 });
      attachRateLimiter(instance, { limit: -1 });
    }),
  };
  const perRound = 20_000;
  const rounds = 11;
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, instance] of Object.entries(variants)) {
      const started = performance.now();
      for (let index = 0; index < perRound; index += 1) await instance.get('/core/user/list');
      (samples[name] ??= []).push(((performance.now() - started) * 1000) / perRound);
    }
  }
  oauth2.destroy();
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(samples['plain sync header interceptor']);
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      {
        'µs / request (median)': +median(values).toFixed(2),
        'vs plain sync interceptor': +(median(values) / base).toFixed(3),
      },
    ]),
  );
}

/** Which parts to run: `BENCH_PARTS=happy` repeats the happy path alone, for example. */
const parts = new Set((process.env.BENCH_PARTS ?? 'storms,happy,rate-limit').split(','));

async function main(): Promise<void> {
  if (parts.has('storms')) {
    console.log(`401 storms, ${requests} concurrent requests each, one API on 127.0.0.1 per run\n`);
    const rows: Record<string, unknown> = {};
    for (const scenario of scenarios) {
      rows[`${scenario.name} — this SDK`] = await runStorm(sdkClient, scenario);
      rows[`${scenario.name} — axios-auth-refresh`] = await runStorm(peerClient, scenario);
    }
    console.table(rows);
  }
  if (parts.has('happy')) {
    console.log('\nHappy path: valid token, nothing in flight, no-op adapter (no network)\n');
    console.table(await happyPathCost());
  }
  if (parts.has('rate-limit')) {
    console.log('\nRate limit: a loopback API that allows L requests per second, 429 above\n');
    await runRateLimitBench();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

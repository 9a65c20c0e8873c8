// Soak benchmark, not a test: 100,000 requests and 10,000 refresh cycles through one axios
// instance (mock adapter), refreshing through the postMessage bridge and the platform host on
// stand-in windows; then the same load through axios-auth-refresh. Reports heap growth after GC
// and what is left registered. Run with `npm run soak` (it passes --expose-gc).
import axios, { AxiosHeaders, type AxiosInstance, type RawAxiosHeaders } from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';
import MockAdapter from 'axios-mock-adapter';
import { App, OAuth2 } from '../src';
import { createPlatformHost } from '../src/platform';
import { sampleContext } from '../__tests__/helpers/context';
import { connectedWindows } from '../__tests__/helpers/fake-windows';
import { interceptorCount } from '../__tests__/helpers/setup';

const cycles = Number(process.env.SOAK_CYCLES ?? 10_000);
const requestsPerCycle = 10;
const appOrigin = 'https://app.example.com';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run soak does)');

async function heapAfterGc(): Promise<number> {
  for (let round = 0; round < 4; round += 1) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

function timers(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'Timeout' || name === 'Immediate').length;
}

/** A fake API: 200 for the current token, else 401; `rotate()` stales every token handed out. */
function fakeApi(instance: AxiosInstance) {
  const state = { token: 'access-0', generation: 0, requests: 0, failures: 0 };
  const mock = new MockAdapter(instance);
  mock.onAny().reply((config) => {
    const authorization = AxiosHeaders.from(config.headers as RawAxiosHeaders).get('Authorization');
    return authorization === `Bearer ${state.token}` ? [200, {}] : [401, {}];
  });
  return {
    state,
    rotate: () => {
      state.generation += 1;
      state.token = `access-${state.generation}`;
      // The mock adapter keeps every request in its history; that is the harness, not the client.
      mock.resetHistory();
    },
  };
}

async function load(
  instance: AxiosInstance,
  rotate: () => void,
  state: { requests: number; failures: number },
  count: number,
) {
  for (let cycle = 0; cycle < count; cycle += 1) {
    rotate();
    const outcomes = await Promise.allSettled(
      Array.from({ length: requestsPerCycle }, (_, index) =>
        instance.get(`/core/user/get/${index}`),
      ),
    );
    state.requests += requestsPerCycle;
    state.failures += outcomes.filter((outcome) => outcome.status === 'rejected').length;
  }
}

async function soakSdk() {
  const windows = connectedWindows('https://example.aspro.cloud', appOrigin);
  let platformRefreshes = 0;
  let api: ReturnType<typeof fakeApi> | null = null;
  const host = createPlatformHost({
    iframe: windows.iframe,
    origin: appOrigin,
    context: sampleContext,
    refresh: async () => {
      platformRefreshes += 1;
      return { access_token: api!.state.token, refresh_token: 'refresh', expires_in: 3600 };
    },
    window: windows.platformWindow,
  });
  const frame = await App.initializeFrame({ window: windows.frameWindow });
  const instance = frame.rest.axios;
  api = fakeApi(instance);
  let onRefresh = 0;
  frame.rest.oauth2.events = { onRefresh: () => (onRefresh += 1) };

  // The stand-in windows log every message posted; that is the harness, not the client.
  const rotate = () => {
    api!.rotate();
    windows.toPlatform.length = 0;
    windows.toFrame.length = 0;
  };
  await load(instance, rotate, api.state, 100);
  const before = await heapAfterGc();
  const started = performance.now();
  await load(instance, rotate, api.state, cycles);
  const seconds = (performance.now() - started) / 1000;
  const after = await heapAfterGc();
  const live = {
    interceptors: interceptorCount(instance),
    listeners: windows.frameListeners.size + windows.platformListeners.size,
    timers: timers(),
  };
  frame.destroy();
  host.destroy();
  await heapAfterGc();
  return {
    requests: api.state.requests,
    failed: api.state.failures,
    'platform refreshes': platformRefreshes,
    'onRefresh calls': onRefresh,
    'heap growth KiB': Math.round((after - before) / 1024),
    seconds: +seconds.toFixed(1),
    'interceptors while attached': live.interceptors,
    'listeners while attached': live.listeners,
    'timers while idle': live.timers,
    'interceptors after destroy()': interceptorCount(instance),
    'listeners after destroy()': windows.frameListeners.size + windows.platformListeners.size,
    'timers after destroy()': timers(),
    'OAuth2 singleton after destroy()': OAuth2.current === null ? 'none' : 'left',
  };
}

async function soakPeer() {
  const instance = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1' });
  const api = fakeApi(instance);
  let token = 'access-0';
  let refreshes = 0;
  const requestId = instance.interceptors.request.use((config) => {
    config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });
  const responseId = createAuthRefreshInterceptor(
    instance,
    async (failed: { response: { config: { headers: Record<string, string> } } }) => {
      refreshes += 1;
      token = api.state.token;
      failed.response.config.headers.Authorization = `Bearer ${token}`;
    },
  );
  await load(instance, api.rotate, api.state, 100);
  const before = await heapAfterGc();
  const started = performance.now();
  await load(instance, api.rotate, api.state, cycles);
  const seconds = (performance.now() - started) / 1000;
  const after = await heapAfterGc();
  const attached = interceptorCount(instance);
  instance.interceptors.request.eject(requestId);
  instance.interceptors.response.eject(responseId);
  return {
    requests: api.state.requests,
    failed: api.state.failures,
    'platform refreshes': refreshes,
    'onRefresh calls': '—',
    'heap growth KiB': Math.round((after - before) / 1024),
    seconds: +seconds.toFixed(1),
    'interceptors while attached': attached,
    'listeners while attached': 0,
    'timers while idle': timers(),
    'interceptors after destroy()': interceptorCount(instance),
    'listeners after destroy()': 0,
    'timers after destroy()': timers(),
    'OAuth2 singleton after destroy()': '—',
  };
}

async function main(): Promise<void> {
  console.log(
    `Soak: ${cycles} refresh cycles × ${requestsPerCycle} concurrent requests, stale token each cycle\n`,
  );
  const sdk = await soakSdk();
  const peer = await soakPeer();
  console.table({ 'this SDK': sdk, 'axios-auth-refresh': peer });
  const clean =
    sdk['interceptors after destroy()'] === 0 &&
    sdk['listeners after destroy()'] === 0 &&
    sdk['timers after destroy()'] === 0;
  console.log(
    `\nheap growth under 1 MiB: ${sdk['heap growth KiB'] < 1024 ? 'yes' : 'NO'}; nothing left after destroy(): ${clean ? 'yes' : 'NO'}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

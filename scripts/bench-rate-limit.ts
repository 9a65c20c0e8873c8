// Benchmark, not a test: N requests fired at once at one real API on 127.0.0.1 that allows L
// requests in any 1,000 ms (a strict sliding window; 429 with Retry-After over it), through bare
// axios, axios-retry, bottleneck and this SDK's attachRateLimiter (alone, and with attachOAuth2
// during a 401 storm). The physical floor is N / L seconds. Run with
// `npx ts-node --transpile-only scripts/bench-rate-limit.ts`, or call runRateLimitBench().
// Env: BENCH_RL_REQUESTS (300), BENCH_RL_LIMIT (50), BENCH_RL_TIMEOUT_MS (30000, per client).
import { setMaxListeners } from 'node:events';
import axios, { isAxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import axiosRetry from 'axios-retry';
import Bottleneck from 'bottleneck';
import { OAuth2, attachOAuth2, attachRateLimiter, isMiniAppError } from '../src';
import { LimitedApi, type ArrivalSpread } from '../__tests__/helpers/limited-api';

export interface RateLimitBenchOptions {
  /** Requests per client, all fired at once. @default BENCH_RL_REQUESTS or 300 */
  requests?: number;
  /** The server's limit, requests in any 1,000 ms. @default BENCH_RL_LIMIT or 50 */
  limit?: number;
  /** Each client's deadline: requests still pending then are aborted and count as timed out. @default BENCH_RL_TIMEOUT_MS or 30000 */
  timeoutMs?: number;
}

/** One client's figures. */
export interface RateLimitRow {
  client: string;
  succeeded: number;
  failed: number;
  /** Failed because the client's deadline passed (included in `failed`). */
  'timed out': number;
  /** Every `/api/…` request the server received: 429s, retries and replays included. */
  'server hits': number;
  '429s': number;
  '401s': number;
  refreshes: number;
  'wall ms': number;
  /** Wall time over the physical floor N / L seconds. */
  'wall / (N/L)': number;
  /** Most requests the server received in any 1,000 ms, 429s included. */
  'max sent in 1 s': number;
  /** Fewest accepted requests in one second from the first arrival (the last, partial second left out). */
  'accepted/s min': number;
  'accepted/s max': number;
  'unhandled rejections': number;
}

interface Client {
  send(config: AxiosRequestConfig): Promise<unknown>;
  dispose(): Promise<void> | void;
}

interface Contender {
  name: string;
  /** The server guards `/api/…` with OAuth2 tokens. */
  auth?: boolean;
  make(api: LimitedApi, limit: number): Client;
  /** Runs after the client is made, just before the requests are fired. */
  arrange?(api: LimitedApi): void;
}

const create = (api: LimitedApi): AxiosInstance =>
  axios.create({ baseURL: `${api.origin}/api/v1` });

const contenders: Contender[] = [
  {
    name: 'a. bare axios',
    make: (api) => ({ send: create(api).request, dispose: () => undefined }),
  },
  {
    // axios-retry 4's exponentialDelay waits max(2^n × 100 ms, Retry-After) plus 0–20 % jitter.
    name: 'b. axios-retry (429, exponentialDelay, 10 retries)',
    make: (api) => {
      const instance = create(api);
      axiosRetry(instance, {
        retries: 10,
        retryCondition: (error) => error.response?.status === 429,
        retryDelay: axiosRetry.exponentialDelay,
      });
      return { send: instance.request, dispose: () => undefined };
    },
  },
  {
    // The README's way to a smooth rate: one launch every minTime ms.
    name: 'c1. bottleneck minTime 1000/L',
    make: (api, limit) => bottleneckClient(create(api), { minTime: 1000 / limit }),
  },
  {
    // The README's "reservoir refresh interval": L launches, topped up to L every 1,000 ms.
    name: 'c2. bottleneck reservoir L / 1000 ms',
    make: (api, limit) =>
      bottleneckClient(create(api), {
        reservoir: limit,
        reservoirRefreshAmount: limit,
        reservoirRefreshInterval: 1000,
      }),
  },
  {
    name: 'd. this SDK: attachRateLimiter',
    make: (api, limit) => {
      const instance = create(api);
      const detach = attachRateLimiter(instance, { limit });
      return { send: instance.request, dispose: detach };
    },
  },
  {
    name: 'e. this SDK: attachOAuth2 + attachRateLimiter, token stale',
    auth: true,
    make: (api, limit) => {
      const tokenClient = axios.create({ baseURL: api.origin });
      const oauth2 = new OAuth2({
        ...api.tokens?.currentTokens,
        expiresAt: null,
        refreshHandler: async ({ refreshToken }) =>
          (await tokenClient.post('/oauth/token', { refresh_token: refreshToken })).data as {
            access_token: string;
            refresh_token: string;
          },
      });
      const instance = create(api);
      attachOAuth2(instance, { oauth2 });
      const detach = attachRateLimiter(instance, { limit });
      return {
        send: instance.request,
        dispose: () => {
          detach();
          oauth2.destroy();
        },
      };
    },
    arrange: (api) => api.expireAccessToken(),
  },
];

function bottleneckClient(instance: AxiosInstance, options: Bottleneck.ConstructorOptions): Client {
  const limiter = new Bottleneck(options);
  return {
    send: (config) => limiter.schedule(() => instance.request(config)),
    dispose: async () => {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await limiter.disconnect().catch(() => undefined);
    },
  };
}

class Deadline extends Error {}

/** Why a request failed: its HTTP status, the SDK's error code, or the error's name. */
function reasonOf(error: unknown): string {
  if (error instanceof Deadline) return 'client deadline';
  if (isMiniAppError(error)) {
    const status = isAxiosError(error.cause) ? error.cause.response?.status : undefined;
    return status ? `${error.code} (${status})` : error.code;
  }
  if (isAxiosError(error))
    return error.response ? `HTTP ${error.response.status}` : (error.code ?? 'axios');
  return error instanceof Error ? error.name : String(error);
}

async function runOne(
  contender: Contender,
  { requests, limit, timeoutMs }: Required<RateLimitBenchOptions>,
  unhandled: () => number,
): Promise<{
  row: RateLimitRow;
  reasons: Record<string, number>;
  sent: ArrivalSpread;
  accepted: ArrivalSpread;
}> {
  const api = await LimitedApi.start({ limit, auth: contender.auth ?? false, apiLatencyMs: 5 });
  const client = contender.make(api, limit);
  contender.arrange?.(api);
  const unhandledBefore = unhandled();
  const controller = new AbortController();
  // Every pending request listens to this one signal.
  setMaxListeners(0, controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Deadline(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  deadline.catch(() => undefined);
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: requests }, (_, index) =>
      Promise.race([
        client.send({ method: 'get', url: `/core/user/get/${index}`, signal: controller.signal }),
        deadline,
      ]),
    ),
  );
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  controller.abort();
  await new Promise((resolve) => setImmediate(resolve));
  await client.dispose();
  await api.stop();

  const reasons: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      const reason = reasonOf(outcome.reason);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
  }
  const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
  const counters = api.counters;
  const sent = api.arrivalSpread();
  const accepted = api.acceptedSpread();
  const fullSeconds =
    accepted.perSecond.length > 1 ? accepted.perSecond.slice(0, -1) : accepted.perSecond;
  return {
    row: {
      client: contender.name,
      succeeded,
      failed: requests - succeeded,
      'timed out': reasons['client deadline'] ?? 0,
      'server hits': counters.arrivals,
      '429s': counters.tooManyRequests,
      '401s': counters.unauthorized,
      refreshes: counters.refreshes,
      'wall ms': Math.round(wallMs),
      'wall / (N/L)': +(wallMs / ((requests / limit) * 1000)).toFixed(2),
      'max sent in 1 s': sent.maxInAnyWindow,
      'accepted/s min': fullSeconds.length > 0 ? Math.min(...fullSeconds) : 0,
      'accepted/s max': accepted.perSecond.length > 0 ? Math.max(...accepted.perSecond) : 0,
      'unhandled rejections': unhandled() - unhandledBefore,
    },
    reasons,
    sent,
    accepted,
  };
}

/**
 * Runs every client against its own rate-limited API, one after another, prints the table (and
 * the per-second histograms and failure reasons) and returns the rows.
 */
export async function runRateLimitBench(
  options: RateLimitBenchOptions = {},
): Promise<RateLimitRow[]> {
  const settings: Required<RateLimitBenchOptions> = {
    requests: options.requests ?? Number(process.env.BENCH_RL_REQUESTS ?? 300),
    limit: options.limit ?? Number(process.env.BENCH_RL_LIMIT ?? 50),
    timeoutMs: options.timeoutMs ?? Number(process.env.BENCH_RL_TIMEOUT_MS ?? 30_000),
  };
  const { requests, limit } = settings;
  // A client that leaks a rejection nobody can catch gets it counted against it, not a crash.
  let unhandledRejections = 0;
  const countUnhandled = () => {
    unhandledRejections += 1;
  };
  process.on('unhandledRejection', countUnhandled);
  console.log(
    `Rate limit: ${requests} requests fired at once per client, server allows ${limit} in any 1,000 ms ` +
      `(N/L = ${((requests / limit) * 1000).toFixed(0)} ms; a strict window's true floor is ` +
      `${((Math.ceil(requests / limit) - 1) * 1000).toFixed(0)} ms + latency), one API on 127.0.0.1 per client\n`,
  );
  const rows: RateLimitRow[] = [];
  const details: string[] = [];
  try {
    for (const contender of contenders) {
      const { row, reasons, sent, accepted } = await runOne(
        contender,
        settings,
        () => unhandledRejections,
      );
      rows.push(row);
      const why = Object.entries(reasons)
        .map(([reason, count]) => `${count}× ${reason}`)
        .join(', ');
      details.push(
        `${contender.name}\n  accepted per second: ${accepted.perSecond.join(' ')}\n` +
          `  sent per second:     ${sent.perSecond.join(' ')}` +
          (why ? `\n  failures: ${why}` : ''),
      );
    }
  } finally {
    process.off('unhandledRejection', countUnhandled);
  }
  console.table(Object.fromEntries(rows.map(({ client, ...figures }) => [client, figures])));
  console.log(
    `\nPer second, counted from each run's first arrival at the server:\n\n${details.join('\n')}`,
  );
  return rows;
}

if (require.main === module) {
  runRateLimitBench().then(
    () => {
      // Everything is closed by now; should a library leave a handle open, do not hang on it.
      setTimeout(() => {
        console.error('bench-rate-limit: a handle was left open; exiting anyway.');
        process.exit();
      }, 2000).unref();
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
      setTimeout(() => process.exit(), 2000).unref();
    },
  );
}

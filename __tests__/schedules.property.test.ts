/**
 * Random schedules of requests, server answers, refresh outcomes, aborts, clock jumps and a
 * destroy(), run on fake time against a simulated API; every schedule must hold every invariant.
 * PROPERTY_RUNS sets the number of schedules (default 1000); a failure prints fast-check's seed
 * and the shrunk schedule, which `fc.assert(…, { seed, path })` replays.
 */
import axios, {
  AxiosError,
  AxiosHeaders,
  CanceledError,
  type AxiosResponse,
  type AxiosInstance,
  type InternalAxiosRequestConfig,
} from 'axios';
import fc from 'fast-check';
import { OAuth2, attachOAuth2, type OAuth2RefreshResultLike } from '../src';
import { interceptorCount } from './helpers/setup';

const runs = Number(process.env.PROPERTY_RUNS ?? 1000);
const start = Date.parse('2026-06-01T00:00:00Z');
const refreshTimeoutMs = 5_000;
const expirySkewMs = 5_000;
const apiOrigin = 'https://api.example.com';

type ServerAnswer = 'auth' | 'always401' | 403 | 500 | 'network';
type RefreshOutcome =
  | { kind: 'ok'; latencyMs: number; lifetimeSeconds: number }
  | { kind: 'fail'; latencyMs: number }
  | { kind: 'malformed'; latencyMs: number }
  | { kind: 'hang' };

interface PlannedRequest {
  instance: number;
  startMs: number;
  latencyMs: number;
  answer: ServerAnswer;
  foreign: boolean;
  abortAfterMs: number | null;
}

interface Schedule {
  instances: number;
  staleAtStart: boolean;
  initialExpiry: number | null;
  expiryKnown: boolean;
  requests: PlannedRequest[];
  refreshes: RefreshOutcome[];
  destroyAtMs: number | null;
  clockJumps: { atMs: number; byMs: number }[];
}

const latency = fc.integer({ min: 0, max: 300 });
const plannedRequest: fc.Arbitrary<PlannedRequest> = fc.record({
  instance: fc.integer({ min: 0, max: 2 }),
  startMs: fc.integer({ min: 0, max: 10_000 }),
  latencyMs: latency,
  answer: fc.oneof(
    { weight: 12, arbitrary: fc.constant<ServerAnswer>('auth') },
    { weight: 1, arbitrary: fc.constant<ServerAnswer>('always401') },
    { weight: 1, arbitrary: fc.constant<ServerAnswer>(403) },
    { weight: 1, arbitrary: fc.constant<ServerAnswer>(500) },
    { weight: 1, arbitrary: fc.constant<ServerAnswer>('network') },
  ),
  foreign: fc.integer({ min: 0, max: 9 }).map((draw) => draw === 0),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: null, freq: 8 }),
});
const schedules: fc.Arbitrary<Schedule> = fc.record({
  instances: fc.integer({ min: 1, max: 3 }),
  staleAtStart: fc.boolean(),
  expiryKnown: fc.boolean(),
  initialExpiry: fc.option(fc.integer({ min: -60_000, max: 120_000 }), { nil: null }),
  // Mostly short schedules, some of up to 200 requests: fast, and still storms.
  requests: fc.oneof(
    { weight: 7, arbitrary: fc.array(plannedRequest, { minLength: 1, maxLength: 20 }) },
    {
      weight: 3,
      arbitrary: fc.array(plannedRequest, { minLength: 20, maxLength: 200, size: 'max' }),
    },
  ),
  refreshes: fc.array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('ok' as const),
          latencyMs: fc.integer({ min: 0, max: 8_000 }),
          lifetimeSeconds: fc.integer({ min: 1, max: 600 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('fail' as const), latencyMs: latency }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('malformed' as const), latencyMs: latency }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
    ),
    { maxLength: 8 },
  ),
  destroyAtMs: fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: null, freq: 5 }),
  clockJumps: fc.array(
    fc.record({
      atMs: fc.integer({ min: 0, max: 12_000 }),
      byMs: fc.integer({ min: 0, max: 120_000 }),
    }),
    { maxLength: 3 },
  ),
});

const totals = { requests: 0, sends: 0, refreshes: 0 };

/** Runs one schedule on fake time and returns the first broken invariant, if any. */
async function run(schedule: Schedule): Promise<void> {
  const violations: string[] = [];
  const expect = (holds: boolean, what: string) => {
    if (!holds && violations.length < 5) violations.push(what);
  };

  let serverToken = schedule.staleAtStart ? 'server-only' : 'token-0';
  const expiryOf = new Map<string, number | null>();
  const initialExpiry =
    schedule.expiryKnown && schedule.initialExpiry !== null ? start + schedule.initialExpiry : null;
  expiryOf.set('token-0', initialExpiry);
  const rejectedTokens = new Set<string>();

  let handlerCalls = 0;
  let flightOpen = false;
  let onRefreshCalls = 0;
  let onRefreshErrorCalls = 0;
  let destroyedDuringFlight = 0;
  const refreshedTokens: string[] = [];
  const issuedTokens = new Set<string>();
  let failedRefreshes = 0;
  const justifiedGenerations = new Set<string>();

  const oauth2 = OAuth2.initialize({
    accessToken: 'token-0',
    refreshToken: 'refresh-0',
    expiresAt: initialExpiry,
    refreshTimeoutMs,
    expirySkewMs,
    refreshHandler: () => {
      handlerCalls += 1;
      expect(!flightOpen, 'a refresh started while another was in flight');
      flightOpen = true;
      const current = oauth2.accessToken;
      const justified = rejectedTokens.has(current) || oauth2.isExpiring(Date.now());
      expect(justified, `refresh of ${current}, which got no 401 and is not known expired`);
      justifiedGenerations.add(current);
      const outcome = schedule.refreshes[handlerCalls - 1] ?? {
        kind: 'ok',
        latencyMs: 10,
        lifetimeSeconds: 600,
      };
      if (outcome.kind === 'hang') return new Promise<OAuth2RefreshResultLike>(() => undefined);
      return new Promise<OAuth2RefreshResultLike>((resolve, reject) => {
        setTimeout(() => {
          if (outcome.kind === 'fail') return reject(new Error('refused'));
          if (outcome.kind === 'malformed') return resolve({});
          const token = `token-${handlerCalls}`;
          serverToken = token;
          issuedTokens.add(token);
          const expiresAt = schedule.expiryKnown
            ? Date.now() + outcome.lifetimeSeconds * 1000
            : null;
          expiryOf.set(token, expiresAt);
          resolve({ accessToken: token, refreshToken: `refresh-${handlerCalls}`, expiresAt });
        }, outcome.latencyMs);
      });
    },
    events: {
      onRefresh: (data) => {
        onRefreshCalls += 1;
        refreshedTokens.push(data.accessToken);
        flightOpen = false;
      },
      onRefreshError: () => {
        onRefreshErrorCalls += 1;
        failedRefreshes += 1;
        flightOpen = false;
      },
    },
  });

  const sendsPerRequest = new Map<string, number>();
  const adapter = (config: InternalAxiosRequestConfig) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const headers = AxiosHeaders.from(config.headers);
      const id = String(headers.get('x-request-id'));
      const plan = planned[Number(id)];
      const authorization = headers.get('Authorization');
      const token =
        typeof authorization === 'string' ? authorization.replace(/^Bearer /, '') : null;
      sendsPerRequest.set(id, (sendsPerRequest.get(id) ?? 0) + 1);
      expect((sendsPerRequest.get(id) ?? 0) <= 2, `request ${id} sent more than twice`);
      if (plan.foreign) expect(token === null, `token sent to a foreign origin by request ${id}`);
      if (token !== null) {
        const expiry = expiryOf.get(token) ?? null;
        expect(expiry === null || expiry > Date.now(), `request ${id} sent with expired ${token}`);
      }
      const cancel = () => reject(new CanceledError('canceled', config));
      if (config.signal?.aborted) return cancel();
      config.signal?.addEventListener?.('abort', cancel);
      setTimeout(() => {
        const status =
          plan.answer === 'auth'
            ? token === serverToken
              ? 200
              : 401
            : plan.answer === 'always401'
              ? 401
              : plan.answer;
        if (status === 'network')
          return reject(new AxiosError('Network Error', 'ERR_NETWORK', config));
        if (status === 401 && token !== null) rejectedTokens.add(token);
        const response = { data: {}, status, statusText: '', headers: {}, config, request: {} };
        if (status === 200) return resolve(response);
        reject(new AxiosError(`status ${status}`, 'ERR_BAD_REQUEST', config, {}, response));
      }, plan.latencyMs);
    });

  const planned = schedule.requests;
  const instances: AxiosInstance[] = Array.from({ length: schedule.instances }, () => {
    const instance = axios.create({ baseURL: `${apiOrigin}/api/v1`, adapter });
    attachOAuth2(instance);
    return instance;
  });

  const settledCounts = new Array<number>(planned.length).fill(0);
  const outcomes: Promise<unknown>[] = planned.map(
    (plan, index) =>
      new Promise<void>((done) => {
        setTimeout(() => {
          const controller = new AbortController();
          if (plan.abortAfterMs !== null) setTimeout(() => controller.abort(), plan.abortAfterMs);
          const instance = instances[plan.instance % instances.length];
          const url = plan.foreign ? 'https://evil.example/steal' : `/item/${index}`;
          instance
            .get(url, { headers: { 'x-request-id': String(index) }, signal: controller.signal })
            .then(
              () => undefined,
              () => undefined,
            )
            .finally(() => {
              settledCounts[index] += 1;
              done();
            });
        }, plan.startMs);
      }),
  );

  if (schedule.destroyAtMs !== null) {
    setTimeout(() => {
      if (flightOpen) destroyedDuringFlight += 1;
      flightOpen = false;
      oauth2.destroy();
    }, schedule.destroyAtMs);
  }
  for (const jump of schedule.clockJumps) {
    setTimeout(() => jest.setSystemTime(Date.now() + jump.byMs), jump.atMs);
  }

  // A minute covers every start, latency, abort and refresh timeout; a request open after it hangs.
  for (let elapsed = 0; elapsed < 60_000; elapsed += 1_000) {
    await jest.advanceTimersByTimeAsync(1_000);
    if (jest.getTimerCount() === 0 && settledCounts.every((count) => count > 0)) break;
  }

  expect(
    settledCounts.every((count) => count === 1),
    'a request did not settle exactly once',
  );
  await Promise.all(outcomes);
  expect(
    onRefreshCalls + onRefreshErrorCalls + destroyedDuringFlight === handlerCalls,
    'events do not match refreshes',
  );
  expect(
    new Set(refreshedTokens).size === refreshedTokens.length &&
      refreshedTokens.every((token) => issuedTokens.has(token)),
    `onRefresh fired twice for one refresh, or for tokens never issued: ${refreshedTokens.join(',')}`,
  );
  if (!oauth2.isDestroyed && refreshedTokens.length > 0) {
    expect(
      oauth2.accessToken === refreshedTokens[refreshedTokens.length - 1],
      'the held token is not the last refreshed one',
    );
  }
  expect(
    handlerCalls <= justifiedGenerations.size + failedRefreshes,
    'more refreshes than generations that needed one',
  );
  expect(jest.getTimerCount() === 0, `${jest.getTimerCount()} timers left`);
  oauth2.destroy();
  for (const instance of instances) {
    const left = interceptorCount(instance);
    expect(left === 0, `${left} interceptors left after destroy()`);
  }
  totals.requests += planned.length;
  totals.refreshes += handlerCalls;
  totals.sends += [...sendsPerRequest.values()].reduce((sum, count) => sum + count, 0);
  if (violations.length > 0) throw new Error(violations.join('; '));
}

describe('random schedules', () => {
  beforeEach(() => jest.useFakeTimers({ now: start }));
  afterEach(() => {
    jest.useRealTimers();
    try {
      OAuth2.getInstance().destroy();
    } catch {
      // destroyed by the schedule
    }
  });

  it(`hold every invariant over ${runs} schedules`, async () => {
    await fc.assert(
      fc.asyncProperty(schedules, async (schedule) => {
        jest.setSystemTime(start);
        try {
          await run(schedule);
        } finally {
          OAuth2.current?.destroy();
        }
      }),
      { numRuns: runs, verbose: 1 },
    );
    console.log(
      `schedules: ${runs}; requests: ${totals.requests}; sent: ${totals.sends}; refreshes: ${totals.refreshes}`,
    );
  }, 600_000);
});

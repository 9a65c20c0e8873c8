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
  type RawAxiosHeaders,
} from 'axios';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { OAuth2, attachOAuth2, type OAuth2RefreshResultLike } from '../src';
import { interceptorCount } from './helpers/setup';

const runs = Number(process.env.PROPERTY_RUNS ?? 1000);
const lateAnswerThenExpired = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'schedule-late-answer-then-expired.json'), 'utf8'),
) as Schedule;
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

type BodyKind = 'none' | 'json' | 'string' | 'form' | 'binary';
type TransformKind = 'default' | 'stringify' | 'urlencode';

interface PlannedRequest {
  instance: number;
  startMs: number;
  latencyMs: number;
  answer: ServerAnswer;
  foreign: boolean;
  abortAfterMs: number | null;
  body: BodyKind;
  transform: TransformKind;
}

/** Interceptors of the user's own, registered before or after attachOAuth2. */
interface ExtraInterceptors {
  /** A request interceptor that replaces `config.headers` with a plain object. */
  plainHeaders: 'none' | 'before' | 'after';
  /** A response interceptor that unwraps `response.data`. */
  unwrap: 'none' | 'before' | 'after';
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
  interceptors: ExtraInterceptors;
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
  body: fc.constantFrom<BodyKind>('none', 'json', 'string', 'form', 'binary'),
  transform: fc.constantFrom<TransformKind>('default', 'stringify', 'urlencode'),
});
const placement = fc.constantFrom<'none' | 'before' | 'after'>('none', 'before', 'after');
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
  interceptors: fc.record({ plainHeaders: placement, unwrap: placement }),
});

/** The body a planned request sends, before any transform. */
function bodyOf(kind: BodyKind, index: number): unknown {
  switch (kind) {
    case 'none':
      return undefined;
    case 'json':
      return { index, text: 'a "quoted" value' };
    case 'string':
      return `plain text ${index}`;
    case 'form':
      return new URLSearchParams({ index: String(index), text: 'a&b=c' });
    case 'binary':
      return Buffer.from([index % 256, 0, 255]);
  }
}

/** A per-request transformRequest as users write them; `default` keeps the instance's. */
function transformOf(kind: TransformKind) {
  if (kind === 'stringify') return [(data: unknown) => JSON.stringify(data ?? null)];
  if (kind === 'urlencode') {
    return [
      (data: unknown) => new URLSearchParams({ wrapped: JSON.stringify(data ?? null) }).toString(),
    ];
  }
  return undefined;
}

/** What the server must receive: the body transformed exactly once, as bytes or text. */
function wireForm(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (Buffer.isBuffer(data)) return `bytes:${data.toString('hex')}`;
  if (data instanceof URLSearchParams) return data.toString();
  return String(data);
}

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
  /** A handler call whose flight has not ended: by its answer, its timeout or destroy(). */
  let flightOpen = false;
  let supersededFlights = 0;
  /** Flights that waited for a timed-out call's answer instead of calling the handler again. */
  let joinedFlightErrors = 0;
  /** Handler calls still unanswered when their flight timed out. */
  let answersOutlivingTheirFlight = 0;
  /** Tokens whose refresh answered only after refreshTimeoutMs: adopted late, outside the flight. */
  const lateTokens = new Set<string>();
  /** Tokens held when a refresh failed: one proactive refresh each, then the server's 401 decides. */
  const heldWhenRefreshFailed = new Set<string>();
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
      const call = handlerCalls;
      expect(!flightOpen, 'a refresh started while another was in flight');
      flightOpen = true;
      const current = oauth2.accessToken;
      const justified = rejectedTokens.has(current) || oauth2.isExpiring(Date.now());
      expect(justified, `refresh of ${current}, which got no 401 and is not known expired`);
      justifiedGenerations.add(current);
      const outcome = schedule.refreshes[call - 1] ?? {
        kind: 'ok',
        latencyMs: 10,
        lifetimeSeconds: 600,
      };
      if (outcome.kind === 'hang' || outcome.latencyMs >= refreshTimeoutMs) {
        answersOutlivingTheirFlight += 1;
      }
      if (outcome.kind === 'hang') return new Promise<OAuth2RefreshResultLike>(() => undefined);
      if (outcome.kind === 'ok' && outcome.latencyMs >= refreshTimeoutMs) {
        lateTokens.add(`token-${call}`);
      }
      return new Promise<OAuth2RefreshResultLike>((resolve, reject) => {
        setTimeout(() => {
          if (outcome.kind === 'fail') return reject(new Error('refused'));
          if (outcome.kind === 'malformed') return resolve({});
          const token = `token-${call}`;
          if (
            flightOpen &&
            outcome.latencyMs < refreshTimeoutMs &&
            oauth2.accessToken !== current
          ) {
            // A late answer was adopted meanwhile: this flight ends with those tokens, no event.
            supersededFlights += 1;
            flightOpen = false;
          }
          serverToken = token;
          issuedTokens.add(token);
          const expiresAt = schedule.expiryKnown
            ? Date.now() + outcome.lifetimeSeconds * 1000
            : null;
          expiryOf.set(token, expiresAt);
          resolve({ accessToken: token, refreshToken: `refresh-${call}`, expiresAt });
        }, outcome.latencyMs);
      });
    },
    events: {
      onRefresh: (data) => {
        if (!lateTokens.has(data.accessToken)) {
          onRefreshCalls += 1;
          flightOpen = false;
        }
        refreshedTokens.push(data.accessToken);
      },
      onRefreshError: () => {
        if (!flightOpen) {
          joinedFlightErrors += 1;
          heldWhenRefreshFailed.add(oauth2.accessToken);
          return;
        }
        onRefreshErrorCalls += 1;
        failedRefreshes += 1;
        heldWhenRefreshFailed.add(oauth2.accessToken);
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
      expect(
        wireForm(config.data) === expectedWire[Number(id)],
        `request ${id} sent ${wireForm(config.data)}, not its body transformed once`,
      );
      expect((sendsPerRequest.get(id) ?? 0) <= 2, `request ${id} sent more than twice`);
      if (plan.foreign) expect(token === null, `token sent to a foreign origin by request ${id}`);
      if (token !== null) {
        const expiry = expiryOf.get(token) ?? null;
        expect(
          expiry === null || expiry > Date.now() || heldWhenRefreshFailed.has(token),
          `request ${id} sent with expired ${token} before any refresh of it was tried`,
        );
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
  const expectedWire = planned.map((plan, index) => {
    const probe = axios.create();
    const transforms = transformOf(plan.transform) ?? probe.defaults.transformRequest;
    let data = bodyOf(plan.body, index);
    for (const transform of [transforms].flat()) {
      data = (
        transform as (this: unknown, data: unknown, headers: RawAxiosHeaders) => unknown
      ).call({ transitional: probe.defaults.transitional }, data, new AxiosHeaders());
    }
    return wireForm(data);
  });
  const interceptorSeen = new Map<string, number>();
  const see = (stage: string, id: unknown) => {
    const key = `${stage}:${String(id)}`;
    interceptorSeen.set(key, (interceptorSeen.get(key) ?? 0) + 1);
    expect(
      interceptorSeen.get(key) === 1,
      `the ${stage} interceptor saw request ${String(id)} twice`,
    );
  };
  const addExtras = (instance: AxiosInstance, at: 'before' | 'after') => {
    const { plainHeaders, unwrap } = schedule.interceptors;
    if (plainHeaders === at) {
      instance.interceptors.request.use((config) => {
        const plain: Record<string, unknown> = { ...config.headers.toJSON(), 'x-plain': '1' };
        see('request', plain['x-request-id']);
        config.headers = plain as never;
        return config;
      });
    }
    if (unwrap === at) {
      instance.interceptors.response.use((response) => {
        see('response', AxiosHeaders.from(response.config.headers).get('x-request-id'));
        return { unwrapped: response.data } as never;
      });
    }
  };
  const instances: AxiosInstance[] = Array.from({ length: schedule.instances }, () => {
    const instance = axios.create({ baseURL: `${apiOrigin}/api/v1`, adapter });
    addExtras(instance, 'before');
    attachOAuth2(instance);
    addExtras(instance, 'after');
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
            .request({
              url,
              method: plan.body === 'none' ? 'get' : 'post',
              data: bodyOf(plan.body, index),
              transformRequest: transformOf(plan.transform),
              headers: { 'x-request-id': String(index) },
              signal: controller.signal,
            })
            .then(
              (result) => {
                const unwrapped = schedule.interceptors.unwrap !== 'none';
                expect(
                  unwrapped ? 'unwrapped' in (result as object) : 'status' in (result as object),
                  `request ${index} resolved to the wrong shape`,
                );
              },
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
    onRefreshCalls + onRefreshErrorCalls + destroyedDuringFlight + supersededFlights ===
      handlerCalls,
    `events do not match refreshes: ${onRefreshCalls} onRefresh in flight, ${onRefreshErrorCalls} onRefreshError, ${destroyedDuringFlight} cut by destroy(), ${supersededFlights} superseded, ${handlerCalls} handler calls`,
  );
  expect(
    joinedFlightErrors <= answersOutlivingTheirFlight,
    `${joinedFlightErrors} flights ended without a handler call, but only ${answersOutlivingTheirFlight} answers outlived their flight`,
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
  const ownInterceptors = [schedule.interceptors.plainHeaders, schedule.interceptors.unwrap].filter(
    (at) => at !== 'none',
  ).length;
  for (const instance of instances) {
    const left = interceptorCount(instance) - ownInterceptors;
    expect(left === 0, `${left} of our interceptors left after destroy()`);
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
        jest.clearAllTimers();
        jest.setSystemTime(start);
        try {
          await run(schedule);
        } finally {
          OAuth2.current?.destroy();
        }
      }),
      {
        numRuns: runs,
        verbose: 1,
        examples: [
          // Found by CI: a late answer adopted while the next refresh ran, whose own answer was
          // then dropped; the requests waiting on it went out with the late token, expired by
          // then. Requests now check again after each wait.
          [lateAnswerThenExpired],
          ...(process.env.PROPERTY_EXAMPLE
            ? [[JSON.parse(process.env.PROPERTY_EXAMPLE) as Schedule]]
            : []),
        ],
      },
    );
    console.log(
      `schedules: ${runs}; requests: ${totals.requests}; sent: ${totals.sends}; refreshes: ${totals.refreshes}`,
    );
  }, 600_000);
});

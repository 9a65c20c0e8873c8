import axios, {
  AxiosError,
  CanceledError,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import fc from 'fast-check';
import { RateLimitError, RateLimiter, attachRateLimiter } from '../src';

const numRuns = Number(process.env.PROPERTY_RUNS ?? 100);
const maxRetries = 3;

jest.setTimeout(120_000);

interface Plan {
  /** When the request is made, fake ms from the start. */
  at: number;
  /** How many 429s the server answers it with before 200 (more than maxRetries: it fails). */
  refusals: number;
  /** `Retry-After` of its 429s, seconds; `null`: none (backoff). */
  retryAfter: string | null;
  /** When it is aborted, ms after it was made; `null`: never. */
  abortAfter: number | null;
  /** Server latency, ms. */
  latency: number;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  at: fc.integer({ min: 0, max: 3000 }),
  refusals: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxRetries + 1 }) },
  ),
  retryAfter: fc.constantFrom(null, '0', '0.2', '1', '1.5'),
  abortAfter: fc.option(fc.integer({ min: 0, max: 3000 }), { freq: 5 }),
  latency: fc.integer({ min: 0, max: 50 }),
});

interface Send {
  id: number;
  at: number;
}

/** The most of `times` in any window [t, t + 1000). */
function maxInWindow(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[start] <= sorted[end] - 1000) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** A server behind a fake adapter: answers each request by its plan; honours `signal`. */
function fakeServer(plans: readonly Plan[], t0: number) {
  const sends: Send[] = [];
  const attempts = plans.map(() => 0);
  const adapter: AxiosAdapter = (config: InternalAxiosRequestConfig) => {
    const id = Number(/\/item\/(\d+)/.exec(config.url ?? '')?.[1]);
    sends.push({ id, at: performance.now() - t0 });
    attempts[id] += 1;
    const plan = plans[id];
    const refused = attempts[id] <= plan.refusals;
    return new Promise<AxiosResponse>((resolve, reject) => {
      const signal = config.signal as AbortSignal | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CanceledError(undefined, undefined, config));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        const headers: Record<string, string> = {};
        if (refused && plan.retryAfter !== null) headers['retry-after'] = plan.retryAfter;
        const response: AxiosResponse = {
          data: refused ? { error: 'rate_limited' } : { id },
          status: refused ? 429 : 200,
          statusText: refused ? 'Too Many Requests' : 'OK',
          headers,
          config,
          request: {},
        };
        if (refused) {
          reject(
            new AxiosError(
              'Request failed with status code 429',
              AxiosError.ERR_BAD_REQUEST,
              config,
              {},
              response,
            ),
          );
        } else resolve(response);
      }, plan.latency);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort);
    });
  };
  return { sends, adapter };
}

type Outcome = 'ok' | 'canceled' | 'rate-limited' | 'destroyed' | 'other';

function outcomeOf(error: unknown): Outcome {
  if (axios.isCancel(error)) return 'canceled';
  if (error instanceof RateLimitError && error.code === 'RATE_LIMITED') return 'rate-limited';
  if (error instanceof RateLimitError && error.code === 'DESTROYED') return 'destroyed';
  return 'other';
}

beforeAll(() => {
  jest.useFakeTimers();
});

afterAll(() => {
  jest.useRealTimers();
});

it('the limiter keeps its window and order, and settles every request once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 10 }),
      fc.array(planArb, { minLength: 1, maxLength: 25 }),
      fc.option(fc.integer({ min: 0, max: 6000 }), { freq: 3 }),
      async (limit, plans, destroyAt) => {
        jest.clearAllTimers();
        const t0 = performance.now();
        const { sends, adapter } = fakeServer(plans, t0);
        const instance = axios.create({ adapter });
        const rateLimiter = new RateLimiter({ limit });
        const detach = attachRateLimiter(instance, { rateLimiter, maxRetries });
        const settled: Outcome[][] = plans.map(() => []);
        /** The order requests were made in: by `at`, ties in plan order. */
        const madeOrder: number[] = [];
        plans.forEach((plan, id) => {
          setTimeout(() => {
            madeOrder.push(id);
            const controller = new AbortController();
            if (plan.abortAfter !== null) {
              setTimeout(() => controller.abort(), plan.abortAfter);
            }
            instance.get(`/item/${id}`, { signal: controller.signal }).then(
              () => settled[id].push('ok'),
              (error: unknown) => settled[id].push(outcomeOf(error)),
            );
          }, plan.at);
        });
        const destroyed = { queuedAfter: null as boolean | null };
        if (destroyAt !== null) {
          setTimeout(() => {
            rateLimiter.destroy();
            destroyed.queuedAfter = rateLimiter.processing;
          }, destroyAt);
        }
        const pending = () =>
          settled.some((list) => list.length === 0) ||
          (destroyAt !== null && destroyed.queuedAfter === null);
        for (let step = 0; step < 200 && pending(); step += 1) {
          await jest.advanceTimersByTimeAsync(1000);
        }
        await jest.advanceTimersByTimeAsync(1000);

        // Every request settles, exactly once.
        expect(settled.map((list) => list.length)).toEqual(plans.map(() => 1));
        // Never more than `limit` sends in any 1,000 ms.
        expect(maxInWindow(sends.map((send) => send.at))).toBeLessThanOrEqual(limit);
        // None lost: each outcome is what its plan allows.
        plans.forEach((plan, id) => {
          const [outcome] = settled[id];
          const allowed = new Set<Outcome>();
          if (plan.refusals > maxRetries) allowed.add('rate-limited');
          else allowed.add('ok');
          if (plan.abortAfter !== null) allowed.add('canceled');
          if (destroyAt !== null) allowed.add('destroyed');
          // A Retry-After of 1.5 s is within the default maxRetryAfterMs: no early failure.
          expect({ id, outcome, allowed: [...allowed] }).toEqual({
            id,
            outcome: allowed.has(outcome) ? outcome : `not ${[...allowed].join('|')}`,
            allowed: [...allowed],
          });
          // The server saw it at most 1 + maxRetries times; a success at 1 + refusals.
          const seen = sends.filter((send) => send.id === id).length;
          expect(seen).toBeLessThanOrEqual(maxRetries + 1);
          if (outcome === 'ok') expect(seen).toBe(plan.refusals + 1);
          if (outcome === 'destroyed' || outcome === 'canceled') {
            expect(seen).toBeLessThanOrEqual(Math.min(plan.refusals, maxRetries) + 1);
          }
        });
        // Order of first sends follows the order the requests were made in.
        const firstSends: number[] = [];
        for (const send of sends) if (!firstSends.includes(send.id)) firstSends.push(send.id);
        expect(firstSends).toEqual(madeOrder.filter((id) => firstSends.includes(id)));
        // Nothing left queued; after destroy() nothing queued stays.
        expect(rateLimiter.processing).toBe(false);
        if (destroyAt !== null) expect(destroyed.queuedAfter).toBe(false);
        detach();
        rateLimiter.destroy();
      },
    ),
    { numRuns },
  );
});

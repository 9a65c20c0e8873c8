import axios, {
  AxiosHeaders,
  type AxiosInstance,
  type InternalAxiosRequestConfig,
  type RawAxiosHeaders,
} from 'axios';
import MockAdapter from 'axios-mock-adapter';
import { OAuth2, type OAuth2Params, type OAuth2RefreshResultLike } from '../../src';

/** Destroys the singleton, if any, so every test starts from nothing. */
export function resetOAuth2(): void {
  try {
    OAuth2.getInstance().destroy();
  } catch {
    // none to destroy
  }
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise callback run. */
export async function flushPromises(rounds = 20): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await Promise.resolve();
}

/**
 * A refresh handler that hands out `token-1`, `token-2`, … and counts its calls.
 * With `gated`, each call waits for `release()` so a test controls when the refresh ends.
 */
export function countingRefreshHandler(options: { gated?: boolean } = {}) {
  let calls = 0;
  const gates: Deferred<void>[] = [];
  const early: ((gate: Deferred<void>) => void)[] = [];
  const handler = async (): Promise<OAuth2RefreshResultLike> => {
    calls += 1;
    const generation = calls;
    if (options.gated) {
      const gate = deferred<void>();
      const settleEarly = early.shift();
      if (settleEarly) settleEarly(gate);
      else gates.push(gate);
      await gate.promise;
    }
    return { accessToken: `token-${generation}`, refreshToken: `refresh-${generation}` };
  };
  const settle = (action: (gate: Deferred<void>) => void) => {
    const gate = gates.shift();
    if (gate) action(gate);
    else early.push(action);
  };
  return {
    handler,
    get calls() {
      return calls;
    },
    /** Ends the oldest refresh still waiting, or the next one to start. */
    release(): void {
      settle((gate) => gate.resolve());
    },
    /** Fails the oldest refresh still waiting, or the next one to start. */
    fail(reason: unknown): void {
      settle((gate) => gate.reject(reason));
    },
  };
}

/** The bearer token a request carried, if any. */
export function bearerOf(
  config: InternalAxiosRequestConfig | { headers?: unknown },
): string | undefined {
  const value = AxiosHeaders.from(config.headers as RawAxiosHeaders).get('Authorization');
  return typeof value === 'string' ? value.replace(/^Bearer /, '') : undefined;
}

/**
 * An axios instance whose requests reach a fake API through axios-mock-adapter: a request is
 * answered 200 when it carries `validToken`, else 401. Records the token of every request.
 */
export function mockedApi(validToken: string, baseURL = 'https://example.aspro.cloud/api/v1') {
  const instance: AxiosInstance = axios.create({ baseURL });
  const mock = new MockAdapter(instance);
  const api = {
    instance,
    mock,
    validToken,
    /** Tokens the server saw, in arrival order (`undefined`: no header). */
    seen: [] as (string | undefined)[],
    /** Delay of each answer, in ms. */
    latencyMs: 0,
  };
  mock.onAny().reply(async (config) => {
    const token = bearerOf(config);
    api.seen.push(token);
    if (api.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, api.latencyMs));
    return token === api.validToken
      ? [200, { ok: true, url: config.url }]
      : [401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' }];
  });
  return api;
}

/** OAuth2 params for a stale token with unknown expiry and a counting handler. */
export function staleTokenParams(handler: OAuth2Params['refreshHandler']): OAuth2Params {
  return { accessToken: 'token-0', refreshToken: 'refresh-0', refreshHandler: handler };
}

/**
 * Resolves once `condition()` holds, checking after each turn of the event loop; rejects after
 * `maxTurns` so that a broken expectation fails instead of hanging.
 */
export async function until(condition: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let turn = 0; turn < maxTurns; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(
    `until(): condition still false after ${maxTurns} turns: ${condition.toString()}`,
  );
}

/** How many interceptors (request and response) are registered on `instance`. */
export function interceptorCount(instance: AxiosInstance): number {
  return [instance.interceptors.request, instance.interceptors.response].flatMap((manager) =>
    (manager as unknown as { handlers: unknown[] }).handlers.filter(Boolean),
  ).length;
}

import {
  CanceledError,
  isAxiosError,
  type AxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { OAuth2, type RequestTicket } from './oauth2';
import { createOriginPolicy } from './origins';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Send this request without the OAuth2 `Authorization` header and never refresh on its 401. */
    skipOAuth2?: boolean;
    /** @internal Marks the one replay of a request whose token was rejected, and carries its outcome back. */
    oauth2Replay?: ReplayChannel;
  }
}

/**
 * Hands a replay's outcome from its own pass through the response interceptors, at ours, back
 * to the original request. A class instance, because axios copies plain objects of a config but
 * keeps other values as they are.
 */
class ReplayChannel {
  readonly outcome: Promise<AxiosResponse>;
  resolve!: (response: AxiosResponse) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.outcome = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Where a request keeps what it knew of the tokens when it was sent; not copied into its replay. */
const sentWith = Symbol('oauth2.sentWith');
type TaggedConfig = InternalAxiosRequestConfig & { [sentWith]?: RequestTicket };

/** Options of {@link attachOAuth2}. */
export interface AttachOAuth2Options {
  /** The token manager to use. @default OAuth2.getInstance() */
  oauth2?: OAuth2;
  /**
   * Whether a failed response means "the token was rejected": refresh and replay.
   * @default {@link defaultShouldRefresh}: HTTP 401, unless the server says `insufficient_scope`
   */
  shouldRefresh?: (error: AxiosError) => boolean;
  /**
   * Origins besides the instance's `baseURL` origin that may receive the token, such as
   * `'https://api.example.com'`. Relative URLs always get it; any other origin never does.
   * @default []
   */
  allowedOrigins?: readonly string[];
}

/**
 * The default of {@link AttachOAuth2Options.shouldRefresh}: HTTP 401, except when the
 * `WWW-Authenticate` header or the body's `error` says `insufficient_scope`, which a new token of
 * the same grant cannot cure.
 */
export function defaultShouldRefresh(error: AxiosError): boolean {
  const response = error.response;
  if (response?.status !== 401) return false;
  const challenge = String(response.headers?.['www-authenticate'] ?? '');
  const body: unknown = response.data;
  const bodyError =
    typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return !/insufficient_scope/i.test(challenge) && bodyError !== 'insufficient_scope';
}

/**
 * Registers OAuth2 on an axios instance: every request to an allowed origin carries
 * `Authorization: Bearer <accessToken>`; a token known to be expired is refreshed before it is
 * sent; a request whose token is rejected waits for one shared refresh and is replayed once.
 *
 * @param instance - the axios instance to attach to; several may share one {@link OAuth2}.
 * @returns `detach()`, which ejects the interceptors again; `oauth2.destroy()` calls it too.
 * @throws {@link OAuth2NotInitializedError} without `options.oauth2` before `OAuth2.initialize()`.
 * @throws TypeError or RangeError naming the option that is wrong.
 *
 * @example
 * ```ts
 * OAuth2.initialize({ accessToken, refreshToken, refreshHandler });
 * const api = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1' });
 * const detach = attachOAuth2(api);
 * ```
 */
export function attachOAuth2(
  instance: AxiosInstance,
  options: AttachOAuth2Options = {},
): () => void {
  const { oauth2 = OAuth2.getInstance(), shouldRefresh = defaultShouldRefresh } = options;
  if (!(oauth2 instanceof OAuth2) || oauth2.isDestroyed) {
    throw new TypeError('attachOAuth2 options.oauth2 must be a live OAuth2 instance.');
  }
  if (typeof shouldRefresh !== 'function') {
    throw new TypeError(
      'attachOAuth2 options.shouldRefresh must be a function of the axios error.',
    );
  }
  const mayCarryToken = createOriginPolicy(instance, options.allowedOrigins ?? []);
  let attached = true;

  const wantsToken = (config: InternalAxiosRequestConfig) =>
    config.skipOAuth2 !== true && mayCarryToken(config);
  const mustWait = (config: InternalAxiosRequestConfig) =>
    (oauth2.isRefreshing || oauth2.isExpiring(Date.now())) && wantsToken(config);

  const authorize = (config: InternalAxiosRequestConfig) => {
    if (!wantsToken(config)) return config;
    if (oauth2.accessToken) config.headers.set('Authorization', `Bearer ${oauth2.accessToken}`);
    const tagged: TaggedConfig = config;
    tagged[sentWith] = oauth2.ticket;
    return config;
  };

  // Whichever of the two runs last sets the header, so both orders of axios's request chain
  // send the token current after the wait; the happy path runs only the synchronous one.
  const sendNow = instance.interceptors.request.use(authorize, undefined, { synchronous: true });
  const sendAfterRefresh = instance.interceptors.request.use(
    async (config) => {
      await unlessAborted(oauth2.settleBeforeSending(), config);
      return authorize(config);
    },
    undefined,
    { synchronous: false, runWhen: mustWait },
  );

  // What happens on a 401: join (or start) the one refresh, then replay the request once.
  // The replay runs through the whole instance, and its outcome is handed back at this
  // interceptor, so that the response interceptors after ours see it once, in the original's pass.
  const recover = instance.interceptors.response.use(
    (response) => {
      const channel = response?.config?.oauth2Replay;
      if (!(channel instanceof ReplayChannel)) return response;
      channel.resolve(response);
      return parked();
    },
    async (error: unknown) => {
      const config: TaggedConfig | undefined = isAxiosError(error) ? error.config : undefined;
      const channel = config?.oauth2Replay;
      if (channel instanceof ReplayChannel) {
        channel.reject(error);
        return parked();
      }
      const ticket = config?.[sentWith];
      if (!config || !ticket || !shouldRefresh(error as AxiosError)) throw error;
      await unlessAborted(oauth2.recoverFromRejection(ticket), config);
      if (!attached) throw error;
      const replay = new ReplayChannel();
      // Settles the channel too when the replay fails before reaching us (a request interceptor threw).
      instance.request({ ...config, oauth2Replay: replay }).then(replay.resolve, replay.reject);
      return replay.outcome;
    },
  );

  const stopWatching = oauth2.onDestroy(detach);
  function detach(): void {
    if (!attached) return;
    attached = false;
    instance.interceptors.request.eject(sendNow);
    instance.interceptors.request.eject(sendAfterRefresh);
    instance.interceptors.response.eject(recover);
    stopWatching();
  }
  return detach;
}

/** Ends a replay's own pass through the interceptors; its outcome went back through its channel. */
function parked(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** Rejects with axios's cancel error as soon as the request is aborted; the wait itself goes on for others. */
function unlessAborted<T>(wait: Promise<T>, config: InternalAxiosRequestConfig): Promise<T> {
  const signal = config.signal;
  if (!signal) return wait;
  const canceled = () => new CanceledError('canceled while waiting for the OAuth2 refresh', config);
  if (signal.aborted) {
    wait.catch(() => undefined);
    return Promise.reject(canceled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(canceled());
    signal.addEventListener?.('abort', onAbort);
    wait.then(resolve, reject).finally(() => signal.removeEventListener?.('abort', onAbort));
  });
}

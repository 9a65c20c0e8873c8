import {
  AxiosError,
  AxiosHeaders,
  isAxiosError,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
  type RawAxiosHeaders,
} from 'axios';
import { bearerChallengeError, bodyError } from './challenge';
import { OAuth2Error } from './errors';
import { OAuth2, type RequestTicket } from './oauth2';
import { createOriginPolicy } from './origins';
import {
  layerOf,
  setLayer,
  type AuthLayer,
  type OutgoingRequest,
  type Transport,
} from './pipeline';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Send this request without the OAuth2 `Authorization` header and never refresh on its 401. */
    skipOAuth2?: boolean;
  }
}

/** Options of {@link attachOAuth2}. */
export interface AttachOAuth2Options {
  /** The token manager to use. @default OAuth2.getInstance() */
  oauth2?: OAuth2;
  /**
   * Whether a failed response means "the token was rejected": refresh and replay. It runs where
   * the response arrives, before `transformResponse`: `error.response.data` is the body as the
   * adapter received it (JSON as text, on the http, fetch and xhr adapters).
   * @default {@link defaultShouldRefresh}: HTTP 401, unless the server says `insufficient_scope`
   * or `invalid_request`
   */
  shouldRefresh?: (error: AxiosError) => boolean;
  /**
   * Origins besides the page's own and the instance's `baseURL` origin that may receive the
   * token: exact (`'https://api.example.com'`) or every subdomain of a domain
   * (`'https://*.example.com'`: one label or more, not `example.com` itself). The origin is judged
   * on the URL axios really sends; any other origin never gets the token.
   * @default []
   */
  allowedOrigins?: readonly string[];
}

/** Errors of RFC 6750 that a new token of the same grant cannot cure. */
const notCuredByRefresh = new Set<string | undefined>(['insufficient_scope', 'invalid_request']);

/**
 * The default of {@link AttachOAuth2Options.shouldRefresh}: HTTP 401, unless the server says
 * the token is not the problem: the `error` of the `Bearer` challenge in `WWW-Authenticate` (or,
 * without one, the body's `error`) is `insufficient_scope` or `invalid_request`. A plain 401 and
 * `invalid_token` refresh.
 */
export function defaultShouldRefresh(error: AxiosError): boolean {
  const response = error.response;
  if (response?.status !== 401) return false;
  const challenge = AxiosHeaders.from(response.headers as RawAxiosHeaders).get('www-authenticate');
  const reason = bearerChallengeError(challenge) ?? bodyError(response.data);
  return !notCuredByRefresh.has(reason);
}

/** The OAuth2 plugin's layer of an instance's pipeline. */
interface OAuth2Layer extends AuthLayer {
  detach(): void;
}

/**
 * Registers OAuth2 on an axios instance: every request to an allowed origin carries
 * `Authorization: Bearer <accessToken>`; a token known to be expired is refreshed before it is
 * sent; a request whose token is rejected waits for one shared refresh and is sent again once.
 *
 * The token is set, and a 401 answered, where the request meets the network: after every
 * request interceptor and `transformRequest`, before `transformResponse` and every response
 * interceptor. So each interceptor sees a request once, and the resend carries exactly the body
 * that was sent first. A request that sets its own `Authorization` header is left alone; one
 * that comes from the instance's defaults is replaced.
 *
 * Attaching to an instance that already has OAuth2 attached replaces that attachment.
 *
 * @param instance - the axios instance to attach to; several may share one {@link OAuth2}.
 * @returns `detach()`, which ejects the interceptor again; `oauth2.destroy()` calls it too.
 * @throws {@link OAuth2NotInitializedError} without `options.oauth2` before `OAuth2.initialize()`.
 * @throws TypeError or RangeError naming the option that is wrong.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { OAuth2, attachOAuth2 } from '@aspro-cloud/miniapp-jssdk';
 *
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
  const layer: OAuth2Layer = {
    send,
    get isRefreshing() {
      return oauth2.isRefreshing;
    },
    detach,
  };
  (layerOf(instance, 'auth') as OAuth2Layer | null)?.detach();
  setLayer(instance, 'auth', layer);

  /** Sends the request with the token, and handles its rejection: what happens on a 401. */
  function send(request: OutgoingRequest, transport: Transport): Promise<AxiosResponse> {
    const { config } = request;
    if (!mayCarryToken(config) || setByCaller(config)) return transport(() => request.withBody());
    const ready = (): Promise<void> | undefined =>
      oauth2.mustWaitBeforeSending(Date.now())
        ? request.bound(oauth2.settleBeforeSending())
        : undefined;
    const attempt = (isReplay: boolean): Promise<AxiosResponse> => {
      let ticket = oauth2.ticket;
      // The token goes on when the request leaves, and comes off the caller's config once it settled.
      const withToken = () => {
        ticket = oauth2.ticket;
        const sent = request.withBody();
        if (oauth2.accessToken) sent.headers.set('Authorization', `Bearer ${oauth2.accessToken}`);
        else sent.headers.delete('Authorization');
        return sent;
      };
      return transport(withToken, ready).then(
        (response) => {
          config.headers.delete('Authorization');
          // A 401 that `validateStatus` accepts is still a rejected token.
          if (isReplay || response.status !== 401 || !attached) return response;
          const rejection = new AxiosError(
            'Request failed with status code 401',
            AxiosError.ERR_BAD_REQUEST,
            config,
            response.request,
            response,
          );
          return shouldRefresh(rejection) ? recover(rejection, ticket) : response;
        },
        (error: unknown) => {
          config.headers.delete('Authorization');
          return isReplay ? Promise.reject(error) : recover(error, ticket);
        },
      );
    };
    const recover = async (error: unknown, ticket: RequestTicket): Promise<AxiosResponse> => {
      if (!attached || !isAxiosError(error) || !shouldRefresh(error)) throw error;
      await request.bound(oauth2.recoverFromRejection(ticket));
      await ready();
      if (!attached) throw error;
      if (!request.body.replayable) throw notReplayable(error);
      return attempt(true);
    };
    return ready()?.then(() => attempt(false)) ?? attempt(false);
  }

  /** Whether `config` carries an `Authorization` header that is not the instance's default. */
  function setByCaller(config: InternalAxiosRequestConfig): boolean {
    if (!config.headers.has('Authorization')) return false;
    const value: unknown = config.headers.get('Authorization');
    return !defaultAuthorizations(instance, config.method).includes(value);
  }

  const stopWatching = oauth2.onDestroy(detach);
  function detach(): void {
    attached = false;
    if (layerOf(instance, 'auth') === layer) setLayer(instance, 'auth', null);
    stopWatching();
  }
  return detach;
}

/** `Authorization` values in the instance's defaults, common, per-method or top-level. */
function defaultAuthorizations(instance: AxiosInstance, method: string | undefined): unknown[] {
  const defaults = instance.defaults.headers as unknown as Record<string, object | undefined>;
  return [defaults, defaults.common, defaults[String(method)]].flatMap((headers) =>
    Object.entries(headers ?? {})
      .filter(([name]) => name.toLowerCase() === 'authorization')
      .map(([, value]) => value as unknown),
  );
}

function notReplayable(rejection: AxiosError): OAuth2Error {
  return new OAuth2Error(
    'BODY_NOT_REPLAYABLE',
    'The token was rejected and has been refreshed, but this request was not sent again: its body is a stream that was already consumed. Send it again with a new stream, or buffer the body.',
    { cause: rejection },
  );
}

import axios, {
  AxiosHeaders,
  isAxiosError,
  type AxiosAdapter,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { prepareBody, type PreparedBody } from './request-body';
import { RequestDeadline } from './request-wait';
import { singletons } from './shared';

/**
 * Sends one request. `prepare` runs at the moment the request leaves, once per send, and returns
 * the config to send: so a request that waited in a queue carries the token current then.
 * `ready`, when given, says whether the request must wait before it may leave (a refresh its
 * token waits for): a queue asks it again when the request's turn comes.
 */
export type Transport = (
  prepare: () => InternalAxiosRequestConfig,
  ready?: () => Promise<void> | undefined,
) => Promise<AxiosResponse>;

/** The token's part of a send: sets it, and answers a rejected token (see `attach.ts`). */
export interface AuthLayer {
  send(request: OutgoingRequest, transport: Transport): Promise<AxiosResponse>;
  /** Whether a refresh is running: requests that do not carry the token then go first. */
  readonly isRefreshing: boolean;
}

/** The rate limit's part of a send: waits for a turn, answers a 429 (see `attach-rate-limiter.ts`). */
export interface LimitLayer {
  transport(request: OutgoingRequest, deliver: Transport, urgent: boolean): Transport;
}

/** One request on its way through the plugins attached to its instance. */
export class OutgoingRequest {
  readonly config: InternalAxiosRequestConfig;
  readonly #startedAt = Date.now();
  readonly #isFetch: boolean;
  #deadline: RequestDeadline | undefined;
  #body: PreparedBody | undefined;

  constructor(config: InternalAxiosRequestConfig, isFetch: boolean) {
    this.config = config;
    this.#isFetch = isFetch;
  }

  /** The body as every send carries it: transformed once, a Node form buffered once. */
  get body(): PreparedBody {
    return (this.#body ??= prepareBody(this.config.data));
  }

  /**
   * Settles as `wait` does, or first as axios would: on the request's own `timeout` (counted
   * from when it reached the adapter), `signal` or `CancelToken`.
   */
  bound<T>(wait: Promise<T>): Promise<T> {
    this.#deadline ??= new RequestDeadline(this.config, this.#startedAt, this.#isFetch);
    return this.#deadline.bound(wait);
  }

  /** The config with the prepared body, as it goes out. */
  withBody(): InternalAxiosRequestConfig {
    const { config, body } = this;
    config.data = body.data;
    if (body.headers) config.headers.set(body.headers);
    return config;
  }

  /**
   * Sends `config` through `adapter`. After a wait the adapter gets a copy with only what is left
   * of the timeout, and whatever it returns is given the caller's config back, so that
   * `response.config` and `error.config` can be sent again as they are.
   */
  deliver(adapter: AxiosAdapter, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
    // The happy path: no wait, no copy, nothing to give back.
    if (!this.#deadline || !config.timeout) return adapter(config);
    const sent = {
      ...config,
      headers: new AxiosHeaders(config.headers),
      timeout: this.#deadline.remainingTimeout(),
    };
    return adapter(sent).then(
      (response) => {
        response.config = config;
        return response;
      },
      (error: unknown) => {
        if (isAxiosError(error)) {
          error.config = config;
          if (error.response) error.response.config = config;
          // The copy had only what remained of the timeout; the caller set the whole of it.
          if (/^timeout/i.test(error.message)) {
            error.message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
          }
        }
        throw error;
      },
    );
  }
}

/** The plugins attached to one instance, and the interceptor that routes its requests to them. */
export interface Pipeline {
  auth: AuthLayer | null;
  limit: LimitLayer | null;
  route: number;
}

/** Marks our adapter stand-ins with the adapter they stand in for; shared by every copy of the SDK. */
const standsInFor = Symbol.for('@aspro-cloud/miniapp-jssdk.adapter');
type StandIn = AxiosAdapter & { [standsInFor]?: InternalAxiosRequestConfig['adapter'] };

/**
 * Puts `layer` in `slot` of the instance's pipeline (`null` takes it out), installing the
 * interceptor with the first layer and ejecting it with the last. Whatever order plugins are
 * attached in, a request meets them in one order: the token outside (a rejected token is
 * answered once, around everything), the rate limit inside (each send, replays included, takes
 * a turn and carries the token current when it leaves).
 */
export function setLayer<K extends 'auth' | 'limit'>(
  instance: AxiosInstance,
  slot: K,
  layer: Pipeline[K],
): void {
  const pipelines = singletons().pipelines;
  const pipeline = pipelines.get(instance) ?? install(instance);
  pipeline[slot] = layer;
  pipelines.set(instance, pipeline);
  if (!pipeline.auth && !pipeline.limit) {
    instance.interceptors.request.eject(pipeline.route);
    pipelines.delete(instance);
  }
}

/** The layer in `slot` of the instance's pipeline, if any. */
export function layerOf<K extends 'auth' | 'limit'>(
  instance: AxiosInstance,
  slot: K,
): Pipeline[K] | null {
  return singletons().pipelines.get(instance)?.[slot] ?? null;
}

function install(instance: AxiosInstance): Pipeline {
  const pipeline: Pipeline = { auth: null, limit: null, route: -1 };
  // One stand-in per adapter; a few at most, so a new adapter per request cannot grow it.
  const standIns = new Map<unknown, StandIn>();
  const standInFor = (adapter: InternalAxiosRequestConfig['adapter'] | null): StandIn => {
    const original = adapter ?? undefined;
    const cached = standIns.get(original);
    if (cached) return cached;
    const standIn: StandIn = (config) => {
      config.adapter = original;
      const resolved = axios.getAdapter(original ?? axios.defaults.adapter, config);
      return send(pipeline, new OutgoingRequest(config, original === 'fetch'), resolved);
    };
    standIn[standsInFor] = original;
    // Stryker disable next-line all: bounds memory only; the cache is rebuilt on demand.
    if (standIns.size >= 8) standIns.clear();
    standIns.set(original, standIn);
    return standIn;
  };
  // The interceptor only routes the request to the stand-in; the adapter it stands in for is
  // put back on the config as soon as the stand-in runs, so nothing of ours stays on it.
  pipeline.route = instance.interceptors.request.use(
    (config) => {
      const original = originalAdapter(config.adapter);
      // A request canceled already never reaches the adapter; its error.config keeps no stand-in.
      const passes =
        (config.skipOAuth2 === true && !pipeline.limit) ||
        config.signal?.aborted === true ||
        !!config.cancelToken?.reason;
      config.adapter = passes ? original : standInFor(original);
      return config;
    },
    undefined,
    { synchronous: true },
  );
  return pipeline;
}

/** Sends one request through the layers attached now. */
function send(
  pipeline: Pipeline,
  request: OutgoingRequest,
  adapter: AxiosAdapter,
): Promise<AxiosResponse> {
  const deliver: Transport = (prepare) => request.deliver(adapter, prepare());
  const auth = request.config.skipOAuth2 === true ? null : pipeline.auth;
  // A request that does not wait for the token, while the others do, may be the refresh itself.
  const urgent = !auth && (pipeline.auth?.isRefreshing ?? false);
  const transport = pipeline.limit?.transport(request, deliver, urgent) ?? deliver;
  return auth ? auth.send(request, transport) : transport(() => request.withBody());
}

/** The adapter a config named before any stand-in wrapped it. */
function originalAdapter(
  adapter: InternalAxiosRequestConfig['adapter'],
): InternalAxiosRequestConfig['adapter'] {
  const standIn = adapter as StandIn | undefined;
  return typeof standIn === 'function' && standsInFor in standIn ? standIn[standsInFor] : adapter;
}

import axios, { type AxiosInstance } from 'axios';
import { attachOAuth2 } from '../attach';
import { attachRateLimiter } from '../attach-rate-limiter';
import { FrameInitializationError } from '../errors';
import type { OAuth2 } from '../oauth2';
import { RateLimiter } from '../rate-limiter';
import { singletons } from '../shared';

/** Query parameters of {@link Rest.get}. */
export interface RestGetParams {
  /** How many records to return at most. */
  limit?: number;
  /** Which page of results to return. */
  page?: number;
  /** A search string. */
  search?: string;
  /** The fields to return, as one string or a list. */
  fields?: string | string[];
  /** Conditions on the records, such as `{ active: 1 }`. */
  filter?: Record<string, unknown>;
  /** Any other parameter of the REST method, sent as a query parameter. */
  [name: string]: unknown;
}

/** A REST call as {@link Rest.call} takes it. */
export interface RestCallParams {
  /** The REST method, such as `'/core/user/list'` or `'/core/user/update/39'`. */
  method: string;
  /** `'get'` or `'post'`; by default `'post'` when `data` is given, else `'get'`. */
  type?: 'get' | 'post';
  /** Query parameters of a `GET`. */
  params?: RestGetParams;
  /** The body of a `POST` (create, update and delete). */
  data?: unknown;
}

/**
 * Calls the platform's REST API with OAuth2 attached: `rest.get('/core/user/list')`.
 * Created by `App.initializeFrame()`; reach it as `frame.rest` or `Rest.getInstance()`.
 */
export class Rest {
  /** The axios instance behind `get` and `post`, with {@link attachOAuth2} applied. */
  readonly axios: AxiosInstance;
  /** The token manager, the {@link OAuth2} singleton. */
  readonly oauth2: OAuth2;
  /** The request queue, the {@link RateLimiter} singleton, with `limit` from the context. */
  readonly rateLimiter: RateLimiter;
  private readonly detachAll: () => void;

  /** @internal Use `App.initializeFrame()`. */
  constructor(oauth2: OAuth2, baseURL: string, rateLimiter = new RateLimiter()) {
    this.oauth2 = oauth2;
    this.rateLimiter = rateLimiter;
    this.axios = axios.create({ baseURL });
    const detachOAuth2 = attachOAuth2(this.axios, { oauth2 });
    const detachRateLimiter = attachRateLimiter(this.axios, { rateLimiter });
    this.detachAll = () => {
      detachOAuth2();
      detachRateLimiter();
    };
    singletons().rest = this;
  }

  /**
   * The instance created by `App.initializeFrame()`.
   * @throws {@link FrameInitializationError} before the frame is initialized.
   */
  static getInstance(): Rest {
    const { rest } = singletons();
    if (!rest) {
      throw new FrameInitializationError(
        'NOT_INITIALIZED',
        'Rest is not initialized: await App.initializeFrame() first.',
      );
    }
    return rest;
  }

  /**
   * `GET` a REST method, such as `'/core/user/list'`; resolves to the response body.
   * @example
   * ```ts
   * import { Rest } from '@aspro-cloud/miniapp-jssdk';
   *
   * const rest = Rest.getInstance(); // or frame.rest
   * const users = await rest.get('/core/user/list', { limit: 20, filter: { active: 1 } });
   * ```
   */
  async get<T = unknown>(method: string, params?: RestGetParams): Promise<T> {
    return (await this.axios.get<T>(method, { params })).data;
  }

  /** `POST` to a REST method; resolves to the response body. */
  async post<T = unknown>(method: string, data?: unknown): Promise<T> {
    return (await this.axios.post<T>(method, data)).data;
  }

  /**
   * A `GET` with `params` or a `POST` with `data`, as the platform's own `Rest.call` hands off.
   * @example
   * ```ts
   * import { Rest } from '@aspro-cloud/miniapp-jssdk';
   *
   * const rest = Rest.getInstance();
   * await rest.call({ method: '/core/user/update/39', data: { name: 'Ann' } });
   * ```
   */
  call<T = unknown>({ method, type, params, data }: RestCallParams): Promise<T> {
    const post = type === undefined ? data !== undefined : type === 'post';
    return post ? this.post<T>(method, data) : this.get<T>(method, params);
  }

  /** Ejects OAuth2 and the rate limit from the axios instance, destroys the limiter (rejecting what it still queues) and clears the singleton. */
  destroy(): void {
    this.detachAll();
    this.rateLimiter.destroy();
    const shared = singletons();
    if (shared.rest === this) shared.rest = null;
  }
}

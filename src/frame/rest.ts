import axios, { type AxiosInstance } from 'axios';
import { attachOAuth2 } from '../attach';
import { FrameInitializationError } from '../errors';
import type { OAuth2 } from '../oauth2';
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

/**
 * Calls the platform's REST API with OAuth2 attached: `rest.get('/core/user/list')`.
 * Created by `App.initializeFrame()`; reach it as `frame.rest` or `Rest.getInstance()`.
 */
export class Rest {
  /** The axios instance behind `get` and `post`, with {@link attachOAuth2} applied. */
  readonly axios: AxiosInstance;
  /** The token manager, the {@link OAuth2} singleton. */
  readonly oauth2: OAuth2;
  private readonly detach: () => void;

  /** @internal Use `App.initializeFrame()`. */
  constructor(oauth2: OAuth2, baseURL: string) {
    this.oauth2 = oauth2;
    this.axios = axios.create({ baseURL });
    this.detach = attachOAuth2(this.axios, { oauth2 });
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

  /** Ejects OAuth2 from the axios instance and clears the singleton. */
  destroy(): void {
    this.detach();
    const shared = singletons();
    if (shared.rest === this) shared.rest = null;
  }
}

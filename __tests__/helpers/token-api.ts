import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the API saw; the demo, the benchmark and the tests read these. */
export interface TokenApiCounters {
  /** Requests to `/api/…`, replays included. */
  apiHits: number;
  /** `/api/…` requests answered 401. */
  unauthorized: number;
  /** `/api/…` requests answered 200. */
  succeeded: number;
  /** Calls of the token endpoint. */
  refreshes: number;
  /** 401 answers to requests marked with the `x-issued-during-refresh` header. */
  unauthorizedDuringRefresh: number;
}

/** One `/api/…` request as the server received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

export interface TokenApiOptions {
  /** Delay of every `/api/…` answer, so that requests overlap as in real life. @default 5 */
  apiLatencyMs?: number;
  /** Delay of the token endpoint's answer. @default 20 */
  refreshLatencyMs?: number;
  /** Lifetime of issued access tokens, reported as `expires_in`. @default 3600 */
  tokenLifetimeSeconds?: number;
}

/**
 * A real HTTP API on 127.0.0.1 whose access tokens can be expired on demand:
 * `GET /api/v1/<anything>` needs a current bearer token; `POST /oauth/token` trades the refresh
 * token for a new pair. `rejectRefresh` and `rejectEveryToken` make it misbehave.
 */
export class TokenApi {
  readonly counters: TokenApiCounters = emptyCounters();
  /** Answer the token endpoint with 400 `invalid_grant`. */
  rejectRefresh = false;
  /** Answer every API request 401, even with a fresh token. */
  rejectEveryToken = false;
  /** Say why in the body only (`insufficient_scope`), without a `WWW-Authenticate` header. */
  scopeErrorInBody = false;
  /** Leave token endpoint requests unanswered until `stop()`, as a platform that never answers. */
  holdRefresh = false;
  private readonly held: ServerResponse[] = [];
  /** The last 100 requests, newest first, for the playground's log. */
  readonly recent: string[] = [];
  /** Every `/api/…` request as it arrived (the first 1,000), for tests of what went on the wire. */
  readonly received: ReceivedRequest[] = [];
  /** Statuses to answer authorized requests with, by path, each once, before answering 200. */
  private readonly forcedStatuses = new Map<string, number[]>();
  private readonly rejectedPaths = new Set<string>();
  private waiters: { counter: keyof TokenApiCounters; count: number; resolve: () => void }[] = [];
  private generation = 0;
  private accessToken = 'access-0';
  private refreshToken = 'refresh-0';
  private server: Server | null = null;
  private readonly options: Required<TokenApiOptions>;

  /** An API without a server of its own: mount {@link TokenApi.handle} in another server. */
  constructor(options: TokenApiOptions = {}) {
    this.options = {
      apiLatencyMs: 5,
      refreshLatencyMs: 20,
      tokenLifetimeSeconds: 3600,
      ...options,
    };
  }

  /** Starts the API on its own server, on a free loopback port. */
  static async start(options: TokenApiOptions = {}): Promise<TokenApi> {
    const api = new TokenApi(options);
    const server = createServer((request, response) => {
      api.handle(request, response).then(
        (handled) => handled || send(response, 404, { error: 'not_found' }),
        () => response.destroy(),
      );
    });
    api.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** `http://127.0.0.1:<port>` of its own server. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** The tokens a client starts with. */
  get currentTokens(): { accessToken: string; refreshToken: string } {
    return { accessToken: this.accessToken, refreshToken: this.refreshToken };
  }

  /** Makes the current access token stale: the next request with it gets 401. */
  expireAccessToken(): void {
    this.accessToken = `revoked-${this.generation}`;
  }

  /** Resolves once the API has received `hits` requests (answered or not). */
  apiHitsReached(hits: number): Promise<void> {
    return this.reached('apiHits', hits);
  }

  /** Resolves once the token endpoint has received `count` requests (answered or not). */
  refreshesReached(count: number): Promise<void> {
    return this.reached('refreshes', count);
  }

  private reached(counter: keyof TokenApiCounters, count: number): Promise<void> {
    if (this.counters[counter] >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ counter, count, resolve }));
  }

  private count(counter: keyof TokenApiCounters): void {
    this.counters[counter] += 1;
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.counter !== counter || this.counters[counter] < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Answers the next authorized requests to `path` with these statuses, one each, then 200. */
  answerNext(path: string, ...statuses: number[]): void {
    this.forcedStatuses.set(path, [...(this.forcedStatuses.get(path) ?? []), ...statuses]);
  }

  /** Changes the delay of the token endpoint's answers from now on. */
  setRefreshLatency(ms: number): void {
    this.options.refreshLatencyMs = ms;
  }

  /** Sets every counter back to zero. */
  resetCounters(): void {
    Object.assign(this.counters, emptyCounters());
  }

  private note(line: string): void {
    this.recent.unshift(`${new Date().toISOString().slice(11, 23)}  ${line}`);
    this.recent.length = Math.min(this.recent.length, 100);
  }

  /** Answers held token requests with 503 and stops its own server, if any. */
  async stop(): Promise<void> {
    for (const response of this.held.splice(0)) send(response, 503, { error: 'stopped' });
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers `POST /oauth/token` and `/api/…`; resolves to `false` for any other path. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const isToken = request.method === 'POST' && request.url === '/oauth/token';
    const isApi = request.url?.startsWith('/api/') ?? false;
    if (!isToken && !isApi) return false;
    const bytes = await readBody(request);
    const body = bytes.toString('utf8');
    if (isToken) {
      this.count('refreshes');
      if (this.holdRefresh) {
        this.note('POST /oauth/token → held, never answered');
        this.held.push(response);
        return true;
      }
      await delay(this.options.refreshLatencyMs);
      const sent = JSON.parse(body || '{}') as { refresh_token?: string };
      if (this.rejectRefresh || sent.refresh_token !== this.refreshToken) {
        this.note('POST /oauth/token → 400 refused');
        send(response, 400, { error: 'invalid_grant' });
        return true;
      }
      this.generation += 1;
      this.accessToken = `access-${this.generation}`;
      this.refreshToken = `refresh-${this.generation}`;
      this.note(`POST /oauth/token → 200, tokens of generation ${this.generation}`);
      send(response, 200, {
        access_token: this.accessToken,
        refresh_token: this.refreshToken,
        expires_in: this.options.tokenLifetimeSeconds,
      });
      return true;
    }
    this.count('apiHits');
    if (this.received.length < 1000) {
      this.received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body: bytes,
      });
    }
    const authorized =
      !this.rejectEveryToken && request.headers.authorization === `Bearer ${this.accessToken}`;
    await delay(this.options.apiLatencyMs);
    const path = request.url ?? '';
    const replay = this.rejectedPaths.delete(path) ? ' (replay)' : '';
    this.note(`${request.method} ${path} → ${authorized ? 200 : 401}${replay}`);
    if (!authorized) {
      this.rejectedPaths.add(path);
      this.counters.unauthorized += 1;
      if (request.headers['x-issued-during-refresh']) this.counters.unauthorizedDuringRefresh += 1;
      if (this.scopeErrorInBody) {
        send(response, 401, { error: 'insufficient_scope' });
        return true;
      }
      response.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      send(response, 401, { error: 'invalid_token' });
      return true;
    }
    const forced = this.forcedStatuses.get(path)?.shift();
    if (forced !== undefined) {
      send(response, forced, { error: 'forced' });
      return true;
    }
    this.counters.succeeded += 1;
    send(response, 200, { path: request.url, bytes: bytes.length });
    return true;
  }
}

function emptyCounters(): TokenApiCounters {
  return { apiHits: 0, unauthorized: 0, succeeded: 0, refreshes: 0, unauthorizedDuringRefresh: 0 };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

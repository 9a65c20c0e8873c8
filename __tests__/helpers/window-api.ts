import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it. */
export interface Arrival {
  /** `performance.now()` when its body had been read (the same clock as the client's). */
  at: number;
  method: string;
  path: string;
  authorization: string | undefined;
  body: Buffer;
  status: number;
  /** `performance.now()` when it was answered. */
  answeredAt: number;
}

export interface WindowApiOptions {
  /** Requests allowed in any 1,000 ms (arrivals not answered 429 count). `-1`: no limit. */
  limit: number;
  /** `Retry-After` sent with a 429: a header value, or `null` for none. @default '1' */
  retryAfter?: string | null;
  /** The bearer token `/api/…` needs; `null`: none checked. @default null */
  token?: string | null;
  /** Delay of every answer, ms. @default 2 */
  latencyMs?: number;
  /**
   * The span the server counts over, ms. A client that counts when a request leaves cannot keep a
   * strict 1,000 ms window on arrivals (see the report on network latency); less tolerates that.
   * @default 1000
   */
  windowMs?: number;
}

/**
 * A real HTTP API on 127.0.0.1 enforcing a strict sliding window on arrivals: a request arriving
 * when `limit` requests arrived (and were not refused) in the last 1,000 ms gets 429 with
 * `Retry-After`. `/oauth/token` trades any refresh token for `access-<n>` and counts in the window
 * like any other request. Every arrival is recorded.
 */
export class WindowApi {
  readonly arrivals: Arrival[] = [];
  /** Answer the next requests 429 whatever the window says. */
  force429 = 0;
  /** Answer every request 429. */
  always429 = false;
  retryAfter: string | null;
  token: string | null;
  generation = 0;
  readonly windowMs: number;
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  private constructor(
    private readonly server: Server,
    public limit: number,
    options: WindowApiOptions,
    private readonly latencyMs: number,
  ) {
    this.retryAfter = options.retryAfter === undefined ? '1' : options.retryAfter;
    this.token = options.token ?? null;
    this.windowMs = options.windowMs ?? 1000;
  }

  static async start(options: WindowApiOptions): Promise<WindowApi> {
    const server = createServer();
    const api = new WindowApi(server, options.limit, options, options.latencyMs ?? 2);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      api.handle(request, response).catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests have arrived. */
  arrived(count: number): Promise<void> {
    if (this.arrivals.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Resolves once `count` requests have been answered. */
  async answered(count: number): Promise<void> {
    await this.arrived(count);
    while (this.arrivals.filter((arrival) => arrival.answeredAt > 0).length < count) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stops the server, dropping every connection. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const at = performance.now();
    const arrival: Arrival = {
      at,
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: request.headers.authorization,
      body: Buffer.concat(chunks),
      status: 0,
      answeredAt: 0,
    };
    const counted = this.arrivals.filter(
      (earlier) => earlier.status !== 429 && earlier.at > at - this.windowMs,
    ).length;
    this.arrivals.push(arrival);
    for (const waiter of [...this.waiters]) {
      if (this.arrivals.length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    let status = 200;
    let body: unknown = { path: arrival.path };
    if (this.always429 || this.force429 > 0 || (this.limit >= 0 && counted >= this.limit)) {
      if (this.force429 > 0) this.force429 -= 1;
      status = 429;
      body = { error: 'rate_limited' };
    } else if (arrival.path === '/oauth/token') {
      this.generation += 1;
      this.token = `access-${this.generation}`;
      body = { access_token: this.token, refresh_token: `refresh-${this.generation}` };
    } else if (this.token !== null && arrival.authorization !== `Bearer ${this.token}`) {
      status = 401;
      body = { error: 'invalid_token' };
      response.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
    }
    arrival.status = status;
    if (status === 429 && this.retryAfter !== null)
      response.setHeader('Retry-After', this.retryAfter);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
    arrival.answeredAt = performance.now();
  }
}

/** The most of `times` (ms) in any window [t, t + spanMs). */
export function maxInWindow(times: readonly number[], spanMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while (sorted[start] <= sorted[end] - spanMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

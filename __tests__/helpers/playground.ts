import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TokenApi } from './token-api';

const root = join(__dirname, '..', '..');
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The playground: the platform, the mini-app and a third party, each on its own loopback origin. */
export interface Playground {
  /** `http://127.0.0.1:<port>`: the platform page. */
  platformOrigin: string;
  /** `http://localhost:<port>`: the mini-app pages and its REST API. */
  appOrigin: string;
  /** `http://127.0.0.1:<port>`: a hostile third party. */
  thirdOrigin: string;
  /** The API whose tokens the platform refreshes and the mini-app spends. */
  api: TokenApi;
  /** Requests that reached the third origin's `/collect/…`, with the `Authorization` they carried. */
  thirdPartyHits: { method: string; path: string; authorization: string | undefined }[];
  stop(): Promise<void>;
}

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/** Serves files of the repository: `routes` maps a URL path to a file path. */
function files(routes: Record<string, string>): Route {
  return async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const distFile = /^\/dist\/([\w.-]+)$/.exec(path);
    const file = routes[path] ?? (distFile ? `dist/${distFile[1]}` : undefined);
    if (!file) return false;
    try {
      const body = await readFile(join(root, file));
      response.writeHead(200, {
        'Content-Type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
    return true;
  };
}

function json(response: ServerResponse, body: unknown): true {
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
  return true;
}

async function listen(
  host: string,
  ...routes: Route[]
): Promise<{ server: Server; origin: string }> {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    for (const route of routes) if (await route(request, response)) return;
    response.writeHead(404).end();
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
}

/** Starts the three servers on free loopback ports. `dist/` must be built. */
export async function startPlayground(): Promise<Playground> {
  const api = new TokenApi({ apiLatencyMs: 5, refreshLatencyMs: 30 });
  let appOrigin = '';
  let thirdOrigin = '';
  let platformOrigin = '';

  const app = await listen(
    'localhost',
    files({
      '/miniapp.html': 'playground/miniapp.html',
      '/miniapp.js': 'playground/miniapp.js',
      '/reference-script.html': 'playground/reference-script.html',
      '/reference-esm.html': 'playground/reference-esm.html',
      '/style.css': 'playground/style.css',
      '/vendor/axios.js': 'node_modules/axios/dist/esm/axios.js',
    }),
    async (request, response) => {
      // The playground's platform is on a loopback origin, which the SDK does not trust by
      // default: the mini-app pages load this before they initialize.
      if (request.url !== '/playground-trust.js') return api.handle(request, response);
      response.writeHead(200, { 'Content-Type': types['.js'], 'Cache-Control': 'no-store' });
      response.end(
        `window.PLAYGROUND_PLATFORM_ORIGINS = ${JSON.stringify([platformOrigin])};\n` +
          'if (window.ACloudMiniApp) window.ACloudMiniApp.App.platformOrigins = window.PLAYGROUND_PLATFORM_ORIGINS;\n',
      );
      return true;
    },
  );
  appOrigin = app.origin;

  const thirdPartyHits: Playground['thirdPartyHits'] = [];
  const third = await listen(
    '127.0.0.1',
    files({ '/sibling.html': 'playground/sibling.html', '/evil.html': 'playground/evil.html' }),
    async (request, response) => {
      // Answers any page, preflights included, so that a token sent here would arrive.
      if (!request.url?.startsWith('/collect/')) return false;
      thirdPartyHits.push({
        method: request.method ?? '',
        path: request.url,
        authorization: request.headers.authorization,
      });
      response.writeHead(200, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': 'authorization, content-type',
        'Content-Type': 'application/json',
      });
      response.end('{}');
      return true;
    },
  );
  thirdOrigin = third.origin;

  const platform = await listen(
    '127.0.0.1',
    files({
      '/': 'playground/platform.html',
      '/platform.js': 'playground/platform.js',
      '/plain-host.js': 'playground/plain-host.js',
      '/sibling.html': 'playground/sibling.html',
      '/style.css': 'playground/style.css',
    }),
    async (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path === '/config') return json(response, { appOrigin, thirdOrigin });
      if (path === '/stats') return json(response, { ...api.counters, recent: api.recent });
      if (path === '/context') {
        const tokens = api.currentTokens;
        return json(response, {
          https: false,
          language: 'en',
          domain: new URL(appOrigin).host,
          account: { id: 'playground' },
          app: { id: 'demo', version: '1.0.0' },
          auth: {
            access_token: tokens.accessToken,
            refresh_token: tokens.refreshToken,
            expires_at: '',
          },
          placement: { id: 'placement-1', code: 'app.homepage', props: {} },
          ratelimit: {
            limit:
              Number(new URL(request.url ?? '', platformOrigin).searchParams.get('ratelimit')) ||
              10,
          },
        });
      }
      if (path === '/control' && request.method === 'POST') {
        let body = '';
        for await (const chunk of request) body += chunk;
        const control = JSON.parse(body || '{}') as Record<string, unknown>;
        if (control.expire === true) api.expireAccessToken();
        if (typeof control.rejectRefresh === 'boolean') api.rejectRefresh = control.rejectRefresh;
        if (typeof control.holdRefresh === 'boolean') api.holdRefresh = control.holdRefresh;
        return json(response, { ok: true });
      }
      return api.handle(request, response);
    },
  );

  platformOrigin = platform.origin;
  return {
    platformOrigin: platform.origin,
    appOrigin,
    thirdOrigin,
    api,
    thirdPartyHits,
    async stop() {
      await api.stop();
      for (const { server } of [platform, app, third]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

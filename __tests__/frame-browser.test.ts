/**
 * The frame path in a real browser: the platform page on one loopback origin embeds the mini-app
 * from another, with a real HTTP API whose tokens expire. Needs Debian's Chromium; see the
 * README. Without it the suite is skipped, except under CI, where it fails.
 */
import type { Browser, Page } from 'playwright-core';
import fc from 'fast-check';
import { chromiumSuite, frameAt, launchChromium } from './helpers/browser';
import { anyUrl } from './helpers/urls';
import { startPlayground, type Playground } from './helpers/playground';

const { chromiumPath, describeInBrowser } = chromiumSuite();

jest.setTimeout(30_000);

describeInBrowser('the frame path in headless Chromium, across two origins', () => {
  let browser: Browser;
  let playground: Playground;
  let page: Page;
  let consoleLines: string[];

  beforeAll(async () => {
    browser = await launchChromium(chromiumPath);
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    playground = await startPlayground();
    page = await browser.newPage();
    consoleLines = [];
    page.on('console', (message) => consoleLines.push(message.text()));
  });

  afterEach(async () => {
    await page.close();
    await playground.stop();
  });

  async function openMiniApp(query = '') {
    await page.goto(`${playground.platformOrigin}/?${query}`);
    const app = await frameAt(page, `${playground.appOrigin}/miniapp.html`);
    await app.waitForFunction(() => 'miniapp' in window);
    await app.evaluate(() =>
      (window as never as { miniapp: { ready: Promise<unknown> } }).miniapp.ready.then(
        () => undefined,
      ),
    );
    return app;
  }

  async function waitForResult(path: string) {
    await page.goto(`${playground.platformOrigin}/?app=${path}`);
    const app = await frameAt(page, `${playground.appOrigin}${path}`);
    await app.waitForFunction(() => 'referenceResult' in window, undefined, { timeout: 15_000 });
    return app.evaluate(
      () => (window as unknown as { referenceResult: { accessToken: string } }).referenceResult,
    );
  }

  it("runs the reference's script-tag example verbatim: one platform refresh, onRefresh fired", async () => {
    const result = await waitForResult('/reference-script.html');
    expect(result.accessToken).toBe('access-1');
    expect(playground.api.counters.refreshes).toBe(1);
    expect(consoleLines.some((line) => line.startsWith('Tokens refreshed:'))).toBe(true);
  });

  it("runs the reference's ESM example verbatim through the ESM build", async () => {
    const result = await waitForResult('/reference-esm.html');
    expect(result.accessToken).toBe('access-1');
    expect(playground.api.counters.refreshes).toBe(1);
    expect(consoleLines.some((line) => line.startsWith('Tokens refreshed:'))).toBe(true);
  });

  it('a burst of 30 rest.get on a stale token: one platform refresh, all succeed, onRefresh once', async () => {
    const app = await openMiniApp();
    playground.api.expireAccessToken();
    const results = await app.evaluate(() =>
      (window as never as { miniapp: { burst(n: number): Promise<string[]> } }).miniapp.burst(30),
    );
    expect(results).toEqual(Array(30).fill('ok'));
    // frame.rest keeps the context's rate limit (10 per second): only the first 10 leave with
    // the stale token; the rest leave after the refresh, with the new one.
    expect(playground.api.counters).toMatchObject({
      refreshes: 1,
      unauthorized: 10,
      succeeded: 30,
      apiHits: 40,
    });
    expect(
      await page.evaluate(
        () =>
          (window as never as { platform: { refreshRequests: number } }).platform.refreshRequests,
      ),
    ).toBe(1);
    expect(
      await app.evaluate(
        () => (window as never as { miniapp: { onRefreshCalls: number } }).miniapp.onRefreshCalls,
      ),
    ).toBe(1);
  });

  it('on the xhr adapter, every kind of body survives a 401 byte for byte, interceptors see each request once', async () => {
    const app = await openMiniApp();
    await app.evaluate(async () => {
      const frame = (await (window as never as { miniapp: { ready: Promise<unknown> } }).miniapp
        .ready) as {
        rest: { axios: { interceptors: { response: { use(f: (v: unknown) => unknown): void } } } };
      };
      const counted = window as never as { seen: number };
      counted.seen = 0;
      frame.rest.axios.interceptors.response.use((response) => {
        counted.seen += 1;
        return response;
      });
    });
    const kinds = ['json', 'stringified', 'params', 'blob', 'form'];
    for (const kind of kinds) {
      playground.api.expireAccessToken();
      const status = await app.evaluate(async (kind) => {
        const frame = (await (window as never as { miniapp: { ready: Promise<unknown> } }).miniapp
          .ready) as {
          rest: { axios: { post(u: string, d: unknown, c?: object): Promise<{ status: number }> } };
        };
        const form = new FormData();
        form.append('field', 'value');
        const bodies: Record<string, [unknown, object?]> = {
          json: [{ text: 'say "hi"' }],
          stringified: [{ a: 1 }, { transformRequest: [(data: unknown) => JSON.stringify(data)] }],
          params: [new URLSearchParams({ q: 'a b' })],
          blob: [new Blob(['blob bytes'])],
          form: [form],
        };
        const [body, config] = bodies[kind];
        return (await frame.rest.axios.post(`/${kind}`, body, { adapter: 'xhr', ...config }))
          .status;
      }, kind);
      expect(status).toBe(200);
    }
    expect(await app.evaluate(() => (window as never as { seen: number }).seen)).toBe(kinds.length);
    expect(playground.api.counters.refreshes).toBe(kinds.length);
    const sent = (kind: string) =>
      playground.api.received
        .filter((request) => request.path === `/api/v1/${kind}`)
        .map((request) => request.body.toString());
    expect(sent('json')).toEqual(Array(2).fill('{"text":"say \\"hi\\""}'));
    expect(sent('stringified')).toEqual(Array(2).fill('{"a":1}'));
    expect(sent('params')).toEqual(Array(2).fill('q=a+b'));
    expect(sent('blob')).toEqual(Array(2).fill('blob bytes'));
    const forms = sent('form');
    expect(forms).toHaveLength(2);
    for (const form of forms) expect(form).toContain('name="field"\r\n\r\nvalue');
  });

  it('the platform refusing the refresh: every call fails with OAuth2RefreshError', async () => {
    // A rate limit above the burst: all 20 leave at once and meet the one refused refresh.
    const app = await openMiniApp('ratelimit=100');
    playground.api.expireAccessToken();
    playground.api.rejectRefresh = true;
    const results = await app.evaluate(() =>
      (window as never as { miniapp: { burst(n: number): Promise<string[]> } }).miniapp.burst(20),
    );
    expect(results).toEqual(Array(20).fill('OAuth2RefreshError:REFRESH_FAILED:PlatformError'));
    expect(playground.api.counters.refreshes).toBe(1);
  });

  it('the platform never answering: the refresh fails with REFRESH_TIMEOUT after timeoutMs', async () => {
    const app = await openMiniApp('timeoutMs=1000');
    playground.api.holdRefresh = true;
    const outcome = await app.evaluate(() =>
      (window as never as { miniapp: { refresh(): Promise<unknown> } }).miniapp.refresh(),
    );
    expect(outcome).toEqual({ ok: false, error: 'OAuth2RefreshError:REFRESH_TIMEOUT' });
  });

  it.each([
    ['a sibling frame on the platform origin', 'same'],
    ['a sibling frame on a third origin', 'third'],
  ])('a forged refresh answer from %s is ignored', async (_label, relay) => {
    const app = await openMiniApp(`relay=${relay}&timeoutMs=1500`);
    playground.api.holdRefresh = true;
    const outcome = await app.evaluate(() =>
      (window as never as { miniapp: { refresh(): Promise<unknown> } }).miniapp.refresh(),
    );
    const sibling = await frameAt(
      page,
      `${relay === 'same' ? playground.platformOrigin : playground.thirdOrigin}/sibling.html`,
    );
    expect(
      await sibling.evaluate(() => (window as never as { forgedSent: number }).forgedSent),
    ).toBe(1);
    expect(outcome).toEqual({ ok: false, error: 'OAuth2RefreshError:REFRESH_TIMEOUT' });
    const token = await app.evaluate(
      async () =>
        (
          await (
            window as never as {
              miniapp: { ready: Promise<{ rest: { oauth2: { accessToken: string } } }> };
            }
          ).miniapp.ready
        ).rest.oauth2.accessToken,
    );
    expect(token).toBe('access-0');
  });

  it('a page on a third origin that frames the mini-app without naming the platform gets no handshake: UNTRUSTED_PLATFORM', async () => {
    await page.goto(
      `${playground.thirdOrigin}/evil.html?pretend=1&appOrigin=${encodeURIComponent(playground.appOrigin)}`,
    );
    const app = await frameAt(page, `${playground.appOrigin}/miniapp.html`);
    const failure = await app.evaluate(() =>
      (window as never as { miniapp: { ready: Promise<unknown> } }).miniapp.ready.then(
        () => 'initialized',
        (error: Error & { code?: string }) => `${error.name}:${error.code ?? ''}:${error.message}`,
      ),
    );
    expect(failure).toMatch(/^FrameInitializationError:UNTRUSTED_PLATFORM:/);
    expect(failure).toContain(playground.thirdOrigin);
    expect(failure).toContain('platformOrigins');
    expect(await page.evaluate(() => (window as never as { received: number }).received)).toBe(0);
    expect(playground.api.counters.apiHits).toBe(0);
  });

  it('URLs that Chromium resolves to another origin carry no token', async () => {
    const app = await openMiniApp();
    const host = new URL(playground.thirdOrigin).host;
    const urls = [
      `/\\${host}/collect/a`,
      `\\\\${host}/collect/b`,
      `\\/${host}/collect/c`,
      ` //${host}/collect/d`,
      `/\t/${host}/collect/e`,
      ` ${playground.thirdOrigin}/collect/f`,
      `\t${playground.thirdOrigin}/collect/g`,
    ];
    const resolved = await app.evaluate(async (urls) => {
      type Api = {
        get(url: string): Promise<unknown>;
        getUri(config: { url: string }): string;
        create(config: object): Api;
      };
      const page = window as never as {
        ACloudMiniApp: { attachOAuth2(instance: Api, options: object): () => void };
        miniapp: { ready: Promise<{ rest: { axios: Api; oauth2: unknown } }> };
      };
      const frame = await page.miniapp.ready;
      const api = frame.rest.axios.create({ baseURL: '', adapter: 'xhr' });
      page.ACloudMiniApp.attachOAuth2(api, { oauth2: frame.rest.oauth2 });
      const origins: string[] = [];
      for (const url of urls) {
        origins.push(new URL(api.getUri({ url }), location.href).origin);
        await api.get(url).catch(() => undefined);
      }
      return origins;
    }, urls);
    // Each form really leaves for the third origin in Chromium, and none of them carries the token.
    expect(resolved).toEqual(Array(urls.length).fill(playground.thirdOrigin));
    const collected = playground.thirdPartyHits.filter((hit) => hit.method === 'GET');
    expect(collected.map((hit) => hit.path).sort()).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => `/collect/${name}`),
    );
    expect(playground.thirdPartyHits.map((hit) => hit.authorization)).toEqual(
      Array(playground.thirdPartyHits.length).fill(undefined),
    );
  });

  it('the origin policy equals "the origin Chromium resolves the URL to is allowed", over 800 random URLs', async () => {
    const app = await openMiniApp();
    const cases = fc.sample(
      fc.record({
        url: anyUrl,
        baseURL: fc.constantFrom(
          '',
          '/',
          '///',
          '/api/v1',
          'https://api.example.com/v1',
          ' //evil.test',
          'https:',
        ),
        allowAbsoluteUrls: fc.constantFrom(undefined, true, false),
      }),
      { numRuns: 800, seed: 20261128 },
    );
    const mismatches = await app.evaluate(async (cases) => {
      type Config = { url: string; baseURL: string; allowAbsoluteUrls?: boolean };
      type Api = {
        request(config: Config): Promise<unknown>;
        getUri(config: Config): string;
        create(config: object): Api;
      };
      const page = window as never as {
        ACloudMiniApp: { attachOAuth2(instance: Api, options: object): () => void };
        miniapp: { ready: Promise<{ rest: { axios: Api; oauth2: unknown } }> };
      };
      const frame = await page.miniapp.ready;
      let sent: string | null | undefined;
      const api = frame.rest.axios.create({
        baseURL: '',
        adapter: async (config: { headers: { get(name: string): unknown } }) => {
          sent = (config.headers.get('Authorization') as string | undefined) ?? null;
          return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
        },
      });
      page.ACloudMiniApp.attachOAuth2(api, {
        oauth2: frame.rest.oauth2,
        allowedOrigins: ['https://files.example.com', 'https://*.cdn.example'],
      });
      const allowed = (origin: string) => {
        if (origin === 'null') return false;
        if (origin === location.origin || origin === 'https://files.example.com') return true;
        const url = new URL(origin);
        return url.protocol === 'https:' && url.port === '' && /\.cdn\.example$/.test(url.hostname);
      };
      const found: unknown[] = [];
      let checked = 0;
      for (const config of cases) {
        let fullPath: string;
        try {
          fullPath = api.getUri(config);
        } catch {
          continue;
        }
        sent = undefined;
        await api.request(config).catch(() => undefined);
        if (sent === undefined) continue;
        let origin = 'null';
        try {
          origin = new URL(fullPath, location.href).origin;
        } catch {
          // unresolvable: no token expected
        }
        checked += 1;
        if ((sent !== null) !== allowed(origin)) found.push({ ...config, fullPath, origin, sent });
      }
      return { found, checked };
    }, cases);
    expect(mismatches.found).toEqual([]);
    expect(mismatches.checked).toBeGreaterThan(400);
  });

  it("baseURL '/' and a <base href> elsewhere: what Chromium sends to another origin carries no token", async () => {
    const app = await openMiniApp();
    const host = new URL(playground.thirdOrigin).host;
    await app.evaluate(
      async ({ host, thirdOrigin }) => {
        type Api = { get(url: string): Promise<unknown>; create(config: object): Api };
        const page = window as never as {
          ACloudMiniApp: { attachOAuth2(instance: Api, options: object): () => void };
          miniapp: { ready: Promise<{ rest: { axios: Api; oauth2: unknown } }> };
        };
        const frame = await page.miniapp.ready;
        const rooted = frame.rest.axios.create({ baseURL: '/', adapter: 'xhr' });
        page.ACloudMiniApp.attachOAuth2(rooted, { oauth2: frame.rest.oauth2 });
        await rooted.get(`/\\${host}/collect/a`).catch(() => undefined);
        await rooted.get(`\\\\${host}/collect/b`).catch(() => undefined);
        const base = document.createElement('base');
        base.href = `${thirdOrigin}/`;
        document.head.prepend(base);
        const relative = frame.rest.axios.create({ baseURL: '', adapter: 'xhr' });
        page.ACloudMiniApp.attachOAuth2(relative, { oauth2: frame.rest.oauth2 });
        await relative.get('/collect/c').catch(() => undefined);
        const viaFetch = frame.rest.axios.create({ baseURL: '', adapter: 'fetch' });
        page.ACloudMiniApp.attachOAuth2(viaFetch, { oauth2: frame.rest.oauth2 });
        await viaFetch.get('/collect/d').catch(() => undefined);
        base.remove();
      },
      { host, thirdOrigin: playground.thirdOrigin },
    );
    const gets = playground.thirdPartyHits.filter((hit) => hit.method === 'GET');
    expect(gets.map((hit) => hit.path).sort()).toEqual(
      ['a', 'b', 'c', 'd'].map((name) => `/collect/${name}`),
    );
    expect(playground.thirdPartyHits.map((hit) => hit.authorization)).toEqual(
      Array(playground.thirdPartyHits.length).fill(undefined),
    );
  });

  it('a page on a third origin embedding the mini-app gets no message and its answers are ignored', async () => {
    await page.goto(
      `${playground.thirdOrigin}/evil.html?appOrigin=${encodeURIComponent(playground.appOrigin)}&platformOrigin=${encodeURIComponent(playground.platformOrigin)}`,
    );
    const app = await frameAt(page, `${playground.appOrigin}/miniapp.html`);
    const failure = await app.evaluate(() =>
      (window as never as { miniapp: { ready: Promise<unknown> } }).miniapp.ready.then(
        () => 'initialized',
        (error: Error) => error.name,
      ),
    );
    expect(failure).toBe('PlatformTimeoutError');
    expect(await page.evaluate(() => (window as never as { received: number }).received)).toBe(0);
    expect(await page.evaluate(() => (window as never as { forgedSent: number }).forgedSent)).toBe(
      1,
    );
  });
});

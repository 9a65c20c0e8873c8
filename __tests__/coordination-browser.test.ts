/**
 * One refresh for the whole browser, in real Chromium: the platform page on one loopback origin
 * embeds the mini-app (another origin) several times, or is open in two tabs of one browser
 * context; the API rotates refresh tokens, so a second refresh with the same token is refused.
 * Storage partitioning is on, as Chrome ships; one case runs without it, where the lock throws.
 */
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { chromiumSuite, framesAt, launchChromium } from './helpers/browser';
import { startPlayground, type Playground } from './helpers/playground';

const { chromiumPath, describeInBrowser } = chromiumSuite();

jest.setTimeout(30_000);

interface MiniAppWindow {
  miniapp: {
    ready: Promise<unknown>;
    burst(count: number): Promise<string[]>;
    onRefreshCalls: number;
    onRefreshErrorCalls: number;
  };
}

interface PlatformWindow {
  platform: { refreshRequests: number; refreshMessages: number };
}

describeInBrowser('one refresh for every frame and tab of a mini-app', () => {
  let browser: Browser;
  let playground: Playground;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchChromium(chromiumPath);
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    playground = await startPlayground();
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context.close();
    await playground.stop();
  });

  /**
   * Opens a platform page embedding `frames` mini-apps; resolves once each is ready. The context's
   * rate limit lets 20 calls leave at once.
   */
  async function openPlatform(query: string, frames = 1): Promise<{ page: Page; apps: Frame[] }> {
    const page = await context.newPage();
    await page.goto(`${playground.platformOrigin}/?frames=${frames}&ratelimit=100&${query}`);
    const apps = await framesAt(page, `${playground.appOrigin}/miniapp.html`, frames);
    for (const app of apps) {
      await app.waitForFunction(() => 'miniapp' in window);
      await app.evaluate(() =>
        (window as never as MiniAppWindow).miniapp.ready.then(() => undefined),
      );
    }
    return { page, apps };
  }

  const burst = (app: Frame, count: number) =>
    app.evaluate((count) => (window as never as MiniAppWindow).miniapp.burst(count), count);

  const refreshCounts = (app: Frame) =>
    app.evaluate(() => {
      const { onRefreshCalls, onRefreshErrorCalls } = (window as never as MiniAppWindow).miniapp;
      return { onRefreshCalls, onRefreshErrorCalls };
    });

  const platformCounts = (page: Page) =>
    page.evaluate(() => {
      const { refreshRequests, refreshMessages } = (window as never as PlatformWindow).platform;
      return { refreshRequests, refreshMessages };
    });

  /** Every frame fires 20 concurrent calls on a stale token; resolves to every outcome. */
  async function storm(apps: Frame[]): Promise<string[]> {
    playground.api.expireAccessToken();
    return (await Promise.all(apps.map((app) => burst(app, 20)))).flat();
  }

  it('5 iframes × 20 calls on a platform that does not dedupe: 1 refresh request, 100 successes, onRefresh in each frame; then a refused refresh is shared the same way', async () => {
    const { page, apps } = await openPlatform('host=plain', 5);
    const results = await storm(apps);
    expect(results).toEqual(Array(100).fill('ok'));
    expect(await platformCounts(page)).toEqual({ refreshRequests: 1, refreshMessages: 1 });
    expect(playground.api.counters.refreshes).toBe(1);
    for (const app of apps) {
      expect(await refreshCounts(app)).toEqual({ onRefreshCalls: 1, onRefreshErrorCalls: 0 });
    }

    playground.api.rejectRefresh = true;
    const refused = await storm(apps);
    expect(refused.every((result) => result.startsWith('OAuth2RefreshError:'))).toBe(true);
    expect((await platformCounts(page)).refreshRequests).toBe(2);
    for (const app of apps) {
      expect(await refreshCounts(app)).toEqual({ onRefreshCalls: 1, onRefreshErrorCalls: 1 });
    }
  });

  it('the same 5 iframes with coordination off: 5 refresh requests, and the rotated token logs frames out', async () => {
    const { page, apps } = await openPlatform('host=plain&coordinate=off', 5);
    const results = await storm(apps);
    expect(await platformCounts(page)).toEqual({ refreshRequests: 5, refreshMessages: 5 });
    expect(playground.api.counters.refreshes).toBe(5);
    // Only the first refresh is granted: the other four spend a refresh token already rotated.
    expect(results.filter((result) => result === 'ok')).toHaveLength(20);
  });

  it('two tabs × 20 calls: 1 refresh request, 40 successes, onRefresh in each tab; then a tab closed while it refreshes costs the other nothing', async () => {
    const doomed = await openPlatform('host=plain');
    const survivor = await openPlatform('host=plain');
    const results = await storm([...doomed.apps, ...survivor.apps]);
    expect(results).toEqual(Array(40).fill('ok'));
    expect(playground.api.counters.refreshes).toBe(1);
    for (const app of [...doomed.apps, ...survivor.apps]) {
      expect(await refreshCounts(app)).toEqual({ onRefreshCalls: 1, onRefreshErrorCalls: 0 });
    }

    playground.api.holdRefresh = true;
    playground.api.expireAccessToken();
    const doomedBurst = burst(doomed.apps[0], 20).catch((error: Error) => error.message);
    await playground.api.refreshesReached(2);
    const survivorBurst = burst(survivor.apps[0], 20);
    // The survivor's refresh waits for the lock the doomed tab holds.
    await survivor.apps[0].waitForFunction(async () => {
      const { pending = [] } = await navigator.locks.query();
      return pending.length > 0;
    });
    playground.api.holdRefresh = false;
    await doomed.page.close();
    expect(await survivorBurst).toEqual(Array(20).fill('ok'));
    expect(await refreshCounts(survivor.apps[0])).toEqual({
      onRefreshCalls: 2,
      onRefreshErrorCalls: 0,
    });
    expect(playground.api.counters.refreshes).toBe(3);
    await doomedBurst;
  });

  it('two tabs with coordination off: 2 refresh requests', async () => {
    const first = await openPlatform('host=plain&coordinate=off');
    const second = await openPlatform('host=plain&coordinate=off');
    await storm([...first.apps, ...second.apps]);
    expect(playground.api.counters.refreshes).toBe(2);
  });

  it("createPlatformHost dedupes: 5 uncoordinated iframes ask 5 times, the platform's refresh runs once, 100 succeed", async () => {
    const { page, apps } = await openPlatform('coordinate=off', 5);
    const results = await storm(apps);
    expect(results).toEqual(Array(100).fill('ok'));
    expect(await platformCounts(page)).toEqual({ refreshRequests: 1, refreshMessages: 5 });
    expect(playground.api.counters.refreshes).toBe(1);
    for (const app of apps) {
      expect(await refreshCounts(app)).toEqual({ onRefreshCalls: 1, onRefreshErrorCalls: 0 });
    }
  });

  describe('without storage partitioning, where the lock throws SecurityError in the frame', () => {
    let unpartitioned: Browser;

    beforeAll(async () => {
      unpartitioned = await launchChromium(chromiumPath, { partitioning: false });
    });

    afterAll(async () => {
      await unpartitioned?.close();
    });

    it('each frame refreshes on its own, as without coordination, and nothing hangs', async () => {
      await context.close();
      context = await unpartitioned.newContext();
      const { page, apps } = await openPlatform('host=plain', 2);
      expect(
        await apps[0].evaluate(() =>
          navigator.locks
            .request('probe', () => undefined)
            .then(
              () => 'granted',
              (error: Error) => error.name,
            ),
        ),
      ).toBe('SecurityError');
      const results = await storm(apps);
      expect(await platformCounts(page)).toEqual({ refreshRequests: 2, refreshMessages: 2 });
      expect(results).toHaveLength(40);
    });
  });
});

/**
 * Security properties: where messages go, what is accepted, and that tokens never leak into
 * this library's error messages.
 */
import axios, { AxiosError } from 'axios';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { App, OAuth2, attachOAuth2, isMiniAppError } from '../src';
import { createPlatformHost } from '../src/platform';
import { normalizeRefreshResult } from '../src/tokens';
import { sampleContext } from './helpers/context';
import { connectedWindows } from './helpers/fake-windows';
import { resetOAuth2 } from './helpers/setup';

const root = join(__dirname, '..');
const appOrigin = 'https://app.example.com';
const platformOrigin = 'https://example.aspro.cloud';

afterEach(resetOAuth2);

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

describe("no postMessage with '*'", () => {
  it('in the source: every postMessage names an origin variable', () => {
    // The refresh coordination posts on a BroadcastChannel, which only reaches its own origin;
    // it holds no window to post to.
    const coordination = join(root, 'src', 'refresh-coordination.ts');
    expect(readFileSync(coordination, 'utf8')).not.toMatch(/\b(window|parent|opener|top)\b/);
    const calls = sourceFiles(join(root, 'src'))
      .filter((file) => file !== coordination)
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/postMessage\(([\s\S]*?)\);/g)].map(
          (match) => match[1],
        ),
      );
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const call of calls) {
      expect(call).not.toMatch(/['"`]\*['"`]/);
      expect(call).toMatch(/targetOrigin|origin/);
    }
  });

  it("in the built bundles: the only '*' post is axios's own scheduler, which posts to itself", () => {
    const platform = readFileSync(join(root, 'dist/miniapp-platform.min.js'), 'utf8');
    const sdk = readFileSync(join(root, 'dist/miniapp-jssdk.min.js'), 'utf8');
    expect(platform).not.toMatch(/postMessage\([^)]*["'`]\*["'`]\)/);
    const starPosts = [...sdk.matchAll(/(\w+)\.postMessage\([^)]*["'`]\*["'`]\)/g)];
    expect(starPosts).toHaveLength(1);
    const [call, target] = starPosts[0];
    const around = sdk.slice(starPosts[0].index! - 200, starPosts[0].index! + call.length + 40);
    expect(around).toContain('axios@');
    expect(around).toContain(`${target}.addEventListener("message"`);
  });

  it('at run time: the built bundles exchange a handshake and a refresh with exact origins only', async () => {
    const windows = connectedWindows(platformOrigin, appOrigin);
    const selfPosts: { message: unknown; targetOrigin: unknown }[] = [];
    const frameGlobal: Record<string, unknown> = {
      ...windows.frameWindow,
      console,
      setTimeout,
      clearTimeout,
      URL,
      structuredClone,
      TextEncoder,
      TextDecoder,
      AbortController,
      postMessage: (message: unknown, targetOrigin: unknown) =>
        selfPosts.push({ message, targetOrigin }),
    };
    frameGlobal.window = frameGlobal;
    frameGlobal.self = frameGlobal;
    const platformGlobal: Record<string, unknown> = {
      ...windows.platformWindow,
      console,
      setTimeout,
      clearTimeout,
      URL,
    };
    platformGlobal.window = platformGlobal;
    vm.createContext(frameGlobal);
    vm.createContext(platformGlobal);
    vm.runInContext(readFileSync(join(root, 'dist/miniapp-jssdk.min.js'), 'utf8'), frameGlobal);
    vm.runInContext(
      readFileSync(join(root, 'dist/miniapp-platform.min.js'), 'utf8'),
      platformGlobal,
    );

    type Host = { createPlatformHost(options: object): { destroy(): void } };
    type Sdk = {
      initializeFrame(): Promise<{
        rest: { oauth2: { refresh(): Promise<{ accessToken: string }> } };
        destroy(): void;
      }>;
    };
    const host = (platformGlobal.ACloudPlatform as Host).createPlatformHost({
      iframe: windows.iframe,
      origin: appOrigin,
      context: sampleContext,
      refresh: async () => ({ access_token: 'access-1', expires_in: 60 }),
    });
    const frame = await (frameGlobal.ACloudMiniApp as Sdk).initializeFrame();
    await expect(frame.rest.oauth2.refresh()).resolves.toMatchObject({ accessToken: 'access-1' });
    frame.destroy();
    host.destroy();

    expect(windows.toPlatform.length).toBe(2);
    expect(windows.toPlatform.every((posted) => posted.targetOrigin === platformOrigin)).toBe(true);
    expect(windows.toFrame.length).toBe(2);
    expect(windows.toFrame.every((posted) => posted.targetOrigin === appOrigin)).toBe(true);
    expect(
      selfPosts.every(
        (posted) =>
          typeof posted.message === 'string' && String(posted.message).startsWith('axios@'),
      ),
    ).toBe(true);
  });
});

describe('tokens never appear in error messages', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9_-]{12,40}$/);

  async function messagesOf(run: () => unknown): Promise<string[]> {
    try {
      await run();
      return [];
    } catch (error) {
      const messages: string[] = [];
      for (
        let current: unknown = error;
        isMiniAppError(current) || current instanceof TypeError || current instanceof RangeError;
        current = (current as Error).cause
      ) {
        messages.push((current as Error).message, String(current));
      }
      return messages;
    }
  }

  it('in validation, refresh and request errors, for any token values', async () => {
    await fc.assert(
      fc.asyncProperty(token, token, token, async (access, refresh, fresh) => {
        const failures: (() => unknown)[] = [
          () => new OAuth2({ accessToken: access, refreshToken: refresh, expiresAt: access }),
          () => new OAuth2({ accessToken: access, refreshToken: refresh, refreshTimeoutMs: -1 }),
          () =>
            normalizeRefreshResult({ access_token: fresh, refresh_token: 7 }, refresh, Date.now()),
          () => normalizeRefreshResult({ refresh_token: fresh }, refresh, Date.now()),
          () => new OAuth2({ accessToken: access, refreshToken: refresh }).refresh(),
          () =>
            new OAuth2({
              accessToken: access,
              refreshToken: refresh,
              refreshHandler: async () => ({ accessToken: 7 as never, refreshToken: fresh }),
            }).refresh(),
          () =>
            new OAuth2({
              accessToken: access,
              refreshToken: refresh,
              refreshHandler: async () => Promise.reject(new Error('refused')),
            }).refresh(),
          async () => {
            const oauth2 = new OAuth2({
              accessToken: access,
              refreshToken: refresh,
              expiresAt: Date.now() - 1000,
              refreshHandler: async () => ({}),
            });
            const instance = axios.create({
              baseURL: 'https://example.aspro.cloud',
              adapter: async (config) =>
                Promise.reject(
                  new AxiosError(
                    '401',
                    'ERR_BAD_REQUEST',
                    config,
                    {},
                    {
                      status: 401,
                      statusText: '',
                      headers: {},
                      config,
                      data: {},
                    },
                  ),
                ),
            });
            attachOAuth2(instance, { oauth2 });
            try {
              await instance.get('/x');
            } finally {
              oauth2.destroy();
            }
          },
        ];
        for (const failure of failures) {
          const messages = await messagesOf(failure);
          expect(messages.length).toBeGreaterThan(0);
          for (const message of messages) {
            expect(message).not.toContain(access);
            expect(message).not.toContain(refresh);
            expect(message).not.toContain(fresh);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('the bridge under hostile input (in a full handshake)', () => {
  it('a flood of forged, malformed and polluting messages leaves the frame working', async () => {
    const windows = connectedWindows(platformOrigin, appOrigin);
    createPlatformHost({
      iframe: windows.iframe,
      origin: appOrigin,
      context: sampleContext,
      refresh: async () => ({ access_token: 'access-1' }),
      window: windows.platformWindow,
    });
    const starting = App.initializeFrame({ window: windows.frameWindow });
    const hostile = [
      'string',
      42,
      null,
      [],
      JSON.parse('{"__proto__":{"polluted":true},"protocol":"aspro.miniapp"}'),
      {
        protocol: 'aspro.miniapp',
        version: 1,
        kind: 'response',
        id: 'guess',
        ok: true,
        result: {},
      },
      { constructor: { prototype: { polluted: true } } },
      { protocol: 'aspro.miniapp', version: 1, kind: 'response', id: 'x'.repeat(10_000), ok: true },
    ];
    for (const data of hostile) {
      windows.deliverToFrame(data);
      windows.deliverToFrame(data, 'https://evil.example');
      windows.deliverToFrame(data, platformOrigin, {});
    }
    const frame = await starting;
    expect(frame.rest.oauth2.accessToken).toBe('access-0');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    frame.destroy();
  });
});

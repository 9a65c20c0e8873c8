import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

/** Debian's Chromium (or `CHROMIUM_PATH`); never a browser download. */
export function findChromium(): string | null {
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment) return existsSync(fromEnvironment) ? fromEnvironment : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not installed under this name
    }
  }
  return null;
}

/**
 * What a browser suite needs first: Chromium's path, and `describe` for its tests, which skips
 * them where Chromium is missing, except under CI, where that fails the run.
 */
export function chromiumSuite(): { chromiumPath: string; describeInBrowser: jest.Describe } {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    const hint = 'Chromium is not installed: `apt-get install -y chromium` runs the browser suite.';
    if (process.env.CI) throw new Error(`${hint} CI must run it.`);
    console.warn(`${hint} Skipping it.`);
  }
  return {
    chromiumPath: chromiumPath ?? '',
    describeInBrowser: chromiumPath ? describe : describe.skip,
  };
}

/** Flags for a headless run as root on a machine without outside network. */
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * playwright-core switches third-party storage partitioning off, and then `navigator.locks`
 * throws SecurityError inside a cross-site iframe; Chrome partitions by default. A later
 * `--disable-features` replaces playwright's list, so this one repeats it without partitioning.
 */
const partitioned = [
  '--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,DialMediaRouteProvider,GlobalMediaControls,HttpsUpgrades,LensOverlay,MediaRouter,PaintHolding,Translate,AutoDeElevate,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled',
  '--enable-features=ThirdPartyStoragePartitioning',
];

/** Launches Chromium with storage partitioning on, as Chrome ships, unless `partitioning` is false. */
export function launchChromium(
  executablePath: string,
  { partitioning = true }: { partitioning?: boolean } = {},
): Promise<Browser> {
  const args = partitioning ? [...flags, ...partitioned] : flags;
  return chromium.launch({ executablePath, headless: true, args });
}

/** Waits (10 s at most) for `count` frames of `page` whose URLs start with `prefix`. */
export async function framesAt(page: Page, prefix: string, count: number): Promise<Frame[]> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const frames = page.frames().filter((candidate) => candidate.url().startsWith(prefix));
    if (frames.length >= count) return frames;
    await page.waitForEvent('framenavigated', { timeout: 500 }).catch(() => undefined);
  }
  throw new Error(`fewer than ${count} frames at ${prefix} after 10 s`);
}

/** Waits (10 s at most) for the frame of `page` whose URL starts with `prefix`. */
export async function frameAt(page: Page, prefix: string): Promise<Frame> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const frame = page.frames().find((candidate) => candidate.url().startsWith(prefix));
    if (frame) return frame;
    await page.waitForEvent('framenavigated', { timeout: 500 }).catch(() => undefined);
  }
  throw new Error(`no frame at ${prefix} after 10 s`);
}

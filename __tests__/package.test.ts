/**
 * The package as users get it, beyond its API: one SDK per process whatever mix of `import` and
 * `require` loads it; bundled copies of one version share the singletons, another version keeps
 * its own; what an import costs in a user's bundle; and a fresh clone packs a working package.
 */
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { bundleImport } from './helpers/bundle-size';

const root = join(__dirname, '..');
const run = promisify(execFile);

/** Runs an ES module in a fresh Node process from `cwd`; resolves to what it printed as JSON. */
async function runModule(source: string, cwd = root): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', source], { cwd });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** A script part that exercises two loaded copies, `a` and `b`, of the SDK against each other. */
const crossCopyChecks = `
  const axios = (await import('axios')).default;
  const oauth2 = a.OAuth2.initialize({ accessToken: 'first', refreshHandler: async () => { throw new Error('denied'); } });
  const api = axios.create({ baseURL: 'https://api.example.com' });
  const seen = [];
  api.defaults.adapter = async (config) => {
    seen.push(config.headers.get('Authorization'));
    return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
  };
  b.attachOAuth2(api);
  await api.get('/x');
  const failure = await oauth2.refresh().catch((error) => error);
  const result = {
    sameClass: a.OAuth2 === b.OAuth2,
    sameInstance: b.OAuth2.getInstance() === oauth2,
    instanceOfOther: oauth2 instanceof b.OAuth2,
    seen,
    refreshErrorIsOther: failure instanceof b.OAuth2RefreshError,
    refreshErrorRecognized: b.isOAuth2RefreshError(failure),
  };
  oauth2.destroy();
  let destroyedForOther = false;
  try { b.OAuth2.getInstance(); } catch (error) { destroyedForOther = error.code === 'NOT_INITIALIZED'; }
  console.log(JSON.stringify({ ...result, destroyedForOther }));
`;

describe('one SDK per process', () => {
  it('import and require of the package in one process give one SDK: one class, one singleton', async () => {
    const result = await runModule(`
      import { createRequire } from 'node:module';
      const require = createRequire(process.cwd() + '/');
      const a = await import('@aspro-cloud/miniapp-jssdk');
      const b = require('@aspro-cloud/miniapp-jssdk');
      const platformShared = (await import('@aspro-cloud/miniapp-jssdk/platform')).createPlatformHost
        === require('@aspro-cloud/miniapp-jssdk/platform').createPlatformHost;
      const frameShared = a.App === b.App && a.Frame === b.Frame;
      const sharedErrors = a.OAuth2RefreshError === b.OAuth2RefreshError;
      ${crossCopyChecks.replace('console.log(JSON.stringify({', 'console.log(JSON.stringify({ platformShared, frameShared, sharedErrors,')}
    `);
    expect(result).toEqual({
      platformShared: true,
      frameShared: true,
      sharedErrors: true,
      sameClass: true,
      sameInstance: true,
      instanceOfOther: true,
      seen: ['Bearer first'],
      refreshErrorIsOther: true,
      refreshErrorRecognized: true,
      destroyedForOther: true,
    });
  });

  it("two bundled copies of one version (the ESM and the CJS build) share the singleton, and each accepts the other's OAuth2", async () => {
    const result = await runModule(`
      import { createRequire } from 'node:module';
      const require = createRequire(process.cwd() + '/');
      const a = await import('./dist/index.mjs');
      const b = require('./dist/index.cjs');
      ${crossCopyChecks}
    `);
    expect(result).toEqual({
      sameClass: false,
      sameInstance: true,
      instanceOfOther: true,
      seen: ['Bearer first'],
      // Error classes stay per copy; isOAuth2RefreshError() recognizes every copy's errors.
      refreshErrorIsOther: false,
      refreshErrorRecognized: true,
      destroyedForOther: true,
    });
  });

  it('a bundle whose code both imports and requires the package holds one copy of it', async () => {
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    const scratch = mkdtempSync(join(root, 'node_modules/.cache/bundle-'));
    try {
      const installed = join(scratch, 'node_modules/@aspro-cloud');
      mkdirSync(installed, { recursive: true });
      symlinkSync(root, join(installed, 'miniapp-jssdk'), 'dir');
      // A CommonJS dependency that requires the SDK, beside app code that imports it.
      writeFileSync(
        join(scratch, 'dependency.cjs'),
        "module.exports = require('@aspro-cloud/miniapp-jssdk');",
      );
      writeFileSync(
        join(scratch, 'app.mjs'),
        `import * as imported from '@aspro-cloud/miniapp-jssdk';
         import required from './dependency.cjs';
         const oauth2 = required.OAuth2.initialize({ accessToken: 'a' });
         const error = new required.OAuth2RefreshError('REFRESH_FAILED', 'm');
         console.log(JSON.stringify({
           sameClasses: imported.OAuth2 === required.OAuth2 && imported.Frame === required.Frame,
           singleton: imported.OAuth2.getInstance() === oauth2,
           errorInstanceOf: error instanceof imported.OAuth2RefreshError,
         }));`,
      );
      const bundle = join(scratch, 'bundle.mjs');
      await build({
        entryPoints: [join(scratch, 'app.mjs')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        external: ['axios'],
        outfile: bundle,
        logLevel: 'silent',
      });
      const code = readFileSync(bundle, 'utf8');
      // The base error class's name string, once per copy of the SDK in the bundle.
      expect(code.split('"MiniAppError"').length - 1).toBe(1);
      const { stdout } = await run(process.execPath, [bundle], { cwd: root });
      expect(JSON.parse(stdout)).toEqual({
        sameClasses: true,
        singleton: true,
        errorInstanceOf: true,
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('another version of the SDK in the same process keeps its own singleton', async () => {
    // Inside the project, so that the other copy finds axios as a bundled copy would.
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    const scratch = mkdtempSync(join(root, 'node_modules/.cache/other-version-'));
    try {
      const other = join(scratch, 'other.cjs');
      await build({
        entryPoints: [join(root, 'src/index.ts')],
        bundle: true,
        format: 'cjs',
        platform: 'node',
        external: ['axios'],
        define: { __SDK_VERSION__: JSON.stringify('0.0.0-other') },
        outfile: other,
        logLevel: 'silent',
      });
      const result = await runModule(`
        import { createRequire } from 'node:module';
        const require = createRequire(process.cwd() + '/');
        const ours = require('./dist/index.cjs');
        const other = require(${JSON.stringify(other)});
        const oauth2 = ours.OAuth2.initialize({ accessToken: 'a' });
        let otherCode;
        try { other.OAuth2.getInstance(); } catch (error) { otherCode = error.code; }
        console.log(JSON.stringify({ otherCode, instanceOfOther: oauth2 instanceof other.OAuth2 }));
      `);
      expect(result).toEqual({ otherCode: 'NOT_INITIALIZED', instanceOfOther: false });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/**
 * Ceilings on what users bundle, gzipped: the core alone, the whole entry, and the platform's
 * script-tag bundle. They stop growth; they are not yet the targets asked for (core 3,000 and
 * entry 7,000 bytes), which docs/benchmarks.md compares with the figures and the peers'.
 */
const budgets = { core: 8_100, entry: 12_700, platformScript: 2_500 };

/**
 * Strings that survive minification in the bridge and frame code, and only there (the refresh
 * coordination in the core posts on a BroadcastChannel, named `"aspro.miniapp.refresh"`).
 */
const bridgeCode = ['parent.postMessage', '"aspro.miniapp"', 'platformOrigins'];

describe('what users bundle', () => {
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const bundlerEntry = join(root, packageJson.exports['.'].import.default);

  it(`OAuth2 + attachOAuth2 alone: at most ${budgets.core} bytes, no bridge or frame code`, async () => {
    const core = await bundleImport(
      `import { OAuth2, attachOAuth2 } from ${JSON.stringify(bundlerEntry)}; export { OAuth2, attachOAuth2 };`,
      root,
    );
    expect(bridgeCode.filter((marker) => core.code.includes(marker))).toEqual([]);
    expect(core.gzipBytes).toBeLessThanOrEqual(budgets.core);
  });

  it(`the whole entry: at most ${budgets.entry} bytes`, async () => {
    const entry = await bundleImport(`export * from ${JSON.stringify(bundlerEntry)};`, root);
    expect(bridgeCode.filter((marker) => !entry.code.includes(marker))).toEqual([]);
    expect(entry.gzipBytes).toBeLessThanOrEqual(budgets.entry);
  });

  it(`the platform's script-tag bundle: at most ${budgets.platformScript} bytes`, async () => {
    const script = readFileSync(join(root, 'dist/miniapp-platform.min.js'));
    expect(gzipSync(script, { level: 9 }).length).toBeLessThanOrEqual(budgets.platformScript);
  });
});

describe('publishing', () => {
  it('npm pack on a fresh clone builds first and ships a package that loads with require and import', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'miniapp-jssdk-clone-'));
    try {
      const clone = join(scratch, 'clone');
      const { stdout: tracked } = await run('git', ['ls-files', '-z'], { cwd: root });
      for (const file of tracked.split('\0').filter(Boolean)) {
        cpSync(join(root, file), join(clone, file), { recursive: true });
      }
      symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], {
        cwd: clone,
      });
      const [{ filename, files }] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
        filename: string;
        files: { path: string }[];
      }[];
      expect(files.map((file) => file.path)).toEqual(
        expect.arrayContaining([
          'LICENSE',
          'README.md',
          'CHANGELOG.md',
          'package.json',
          'dist/index.cjs',
          'dist/index.mjs',
          'dist/index.node.mjs',
          'dist/index.d.ts',
          'dist/index.d.mts',
          'dist/platform.cjs',
          'dist/platform.d.mts',
          'dist/miniapp-jssdk.min.js',
          'dist/miniapp-platform.min.js',
        ]),
      );

      const project = join(scratch, 'project');
      const installed = join(project, 'node_modules/@aspro-cloud/miniapp-jssdk');
      mkdirSync(installed, { recursive: true });
      await run('tar', ['-xzf', join(scratch, filename), '-C', installed, '--strip-components=1']);
      symlinkSync(join(root, 'node_modules/axios'), join(project, 'node_modules/axios'), 'dir');
      const result = await runModule(
        `
        import { createRequire } from 'node:module';
        const require = createRequire(process.cwd() + '/');
        const a = await import('@aspro-cloud/miniapp-jssdk');
        const b = require('@aspro-cloud/miniapp-jssdk');
        const host = await import('@aspro-cloud/miniapp-jssdk/platform');
        console.log(JSON.stringify({
          same: a.OAuth2 === b.OAuth2,
          attach: typeof a.attachOAuth2,
          host: typeof host.createPlatformHost,
        }));
      `,
        project,
      );
      expect(result).toEqual({ same: true, attach: 'function', host: 'function' });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});

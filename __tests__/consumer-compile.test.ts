/**
 * Proves that the packed package type-checks for its users. The `npm pack` tarball is installed
 * next to axios in a temporary folder, and strict consumer projects, one per module resolution,
 * are compiled there by the oldest (5.0.4) and the newest (7.0.2) TypeScript we support, with
 * our declaration files checked (`skipLibCheck: false`).
 *
 * Each consumer uses our augmentation of axios's request config (`skipOAuth2`), which only
 * type-checks when our declarations augment the very axios module the consumer imports, and has
 * `@ts-expect-error` lines that fail the compile if our exports were read as `any`. `--listFiles`
 * shows which of our entry declarations the compiler read: `.d.mts` for ESM, `.d.ts` for CJS.
 *
 * The compilers are installed once into node_modules/.cache/consumer-ts/<version> (the npm
 * registry is needed on the first run only); `dist/` must be built first, as `npm test` does.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = join(__dirname, '..');
const packageName = '@aspro-cloud/miniapp-jssdk';
const compilerCache = join(repoRoot, 'node_modules/.cache/consumer-ts');
const typescriptVersions = ['5.0.4', '7.0.2'] as const;
type TypeScriptVersion = (typeof typescriptVersions)[number];

interface Consumer {
  name: string;
  folder: string;
  packageType: 'commonjs' | 'module';
  compilerOptions: { module: string; moduleResolution: string };
  /** Our entry declarations the compiler must read, for `.` and `./platform`. */
  entries: string[];
  /** A server-side consumer: no DOM lib, Node's types, and a program without the frame's page. */
  serverSide?: boolean;
  /** Why a TypeScript version cannot compile this consumer at all. */
  unsupported?: Partial<Record<TypeScriptVersion, string>>;
}

const esmEntries = ['index.d.mts', 'platform.d.mts'];
const cjsEntries = ['index.d.ts', 'platform.d.ts'];
const consumers: Consumer[] = [
  {
    name: 'node16 + CJS',
    folder: 'node16-cjs',
    packageType: 'commonjs',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    entries: cjsEntries,
  },
  {
    name: 'node16 + ESM',
    folder: 'node16-esm',
    packageType: 'module',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    entries: esmEntries,
  },
  {
    name: 'nodenext + ESM',
    folder: 'nodenext-esm',
    packageType: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
    entries: esmEntries,
  },
  {
    name: 'node16 + ESM on a server (no DOM lib)',
    folder: 'node16-esm-server',
    packageType: 'module',
    compilerOptions: { module: 'node16', moduleResolution: 'node16' },
    // The platform's end runs in the platform's page and needs the DOM lib: not imported here.
    entries: ['index.d.mts'],
    serverSide: true,
  },
  {
    // `module: preserve` would need TypeScript 5.4.
    name: 'bundler',
    folder: 'bundler',
    packageType: 'module',
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler' },
    entries: esmEntries,
  },
  {
    // `./platform` is found through typesVersions here.
    name: 'node10',
    folder: 'node10',
    packageType: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10' },
    entries: cjsEntries,
    unsupported: { '7.0.2': 'TypeScript 7 removed moduleResolution node10' },
  },
];

/** A strict program using every part of the API that depends on how the types were resolved. */
const consumerProgram = `
import axios from 'axios';
import { OAuth2, OAuth2RefreshError, attachOAuth2 } from '${packageName}';
import { createPlatformHost, type FrameContext } from '${packageName}/platform';

export async function main(accessToken: string, refreshToken: string): Promise<void> {
  OAuth2.initialize({
    accessToken,
    refreshToken,
    refreshHandler: async ({ refreshToken }) => ({
      accessToken: 'a',
      refreshToken: 'b' + refreshToken,
      expiresAt: Date.now() + 1000,
    }),
  });
  const api = axios.create({ baseURL: 'https://example.aspro.cloud/api/v1' });
  const detach = attachOAuth2(api, {
    allowedOrigins: ['https://files.example.com'],
    shouldRefresh: (error) => error.response?.status === 401,
  });
  // @ts-expect-error unknown option: an error only if attachOAuth2 has our declared options
  attachOAuth2(api, { nope: true });
  try {
    await api.get('/x', { skipOAuth2: true });
  } catch (error) {
    if (error instanceof OAuth2RefreshError) {
      const code: string = error.code;
      console.log(code);
    }
  }
  detach();

  // The page's part: not compiled by server-side consumers.
  const context: FrameContext = {
    https: true,
    language: 'en',
    domain: 'example.aspro.cloud',
    account: { id: '1' },
    app: { id: 'app', version: '1.0.0' },
    auth: { access_token: 'a', refresh_token: 'b', expires_at: '2030-01-01 00:00:00' },
    placement: { id: 'p', code: 'left_menu', props: {} },
    ratelimit: { limit: 10 },
  };
  const iframe = document.createElement('iframe');
  const host = createPlatformHost({
    iframe,
    origin: 'https://app.example.com',
    context: () => context,
    refresh: async ({ refreshToken }) => ({ access_token: refreshToken, expires_in: 3600 }),
  });
  host.destroy();
  // @ts-expect-error origin is a string: an error only if createPlatformHost is typed
  createPlatformHost({ iframe, origin: 1, context, refresh: () => ({ access_token: 'a' }) });
}
`;

function tscPath(version: TypeScriptVersion): string {
  // TypeScript 7's bin/tsc is a node script that runs the native compiler it finds through its
  // platform's optional dependency, so both versions are launched the same way.
  return join(compilerCache, version, 'node_modules/typescript/bin/tsc');
}

/** Installs one TypeScript version into the cache, once; the marker says the install finished. */
async function installTypeScript(version: TypeScriptVersion): Promise<void> {
  const cacheDir = join(compilerCache, version);
  const installedMarker = join(cacheDir, 'installed');
  if (existsSync(installedMarker)) return;
  await mkdir(cacheDir, { recursive: true });
  await run('npm', [
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--prefix',
    cacheDir,
    `typescript@${version}`,
  ]);
  await writeFile(installedMarker, version);
}

/** Packs the repository as `npm publish` would and extracts it as node_modules/<our package>. */
async function installPackedPackage(sharedDir: string): Promise<void> {
  const packDir = join(sharedDir, 'pack');
  await mkdir(packDir);
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir],
    { cwd: repoRoot },
  );
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  const packageDir = join(sharedDir, 'node_modules', packageName);
  await mkdir(packageDir, { recursive: true });
  // The tarball's root folder is `package/`.
  await run('tar', ['-xzf', join(packDir, filename), '-C', packageDir, '--strip-components=1']);
}

async function writeConsumer(sharedDir: string, consumer: Consumer): Promise<void> {
  const projectDir = join(sharedDir, consumer.folder);
  await mkdir(projectDir);
  const packageJson = { name: consumer.folder, private: true, type: consumer.packageType };
  const tsconfig = {
    compilerOptions: {
      ...consumer.compilerOptions,
      target: 'ES2022',
      lib: consumer.serverSide ? ['ES2022'] : ['ES2022', 'DOM'],
      types: consumer.serverSide ? ['node'] : [],
      strict: true,
      noEmit: true,
      esModuleInterop: true,
      // Our declarations and axios's are checked; TypeScript's own lib files need not be.
      skipLibCheck: false,
      skipDefaultLibCheck: true,
    },
    files: ['index.ts'],
  };
  await writeFile(join(projectDir, 'package.json'), JSON.stringify(packageJson, null, 2));
  await writeFile(join(projectDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const program = consumer.serverSide
    ? `${consumerProgram.slice(0, consumerProgram.indexOf('  // The page'))}}\n`.replace(
        /^import .*\/platform';$/m,
        '',
      )
    : consumerProgram;
  await writeFile(join(projectDir, 'index.ts'), program);
}

/** Like Promise.all, but waits for every step, so nothing still writes when afterAll cleans up. */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const failure = (await Promise.allSettled(steps)).find((step) => step.status === 'rejected');
  if (failure) throw failure.reason;
}

interface Compilation {
  exitCode: number;
  /** The compiler's messages: its output without the listed files. */
  diagnostics: string;
  /** Our entry declarations among the files the compiler read. */
  entriesRead: string[];
}

function compile(version: TypeScriptVersion, projectDir: string): Promise<Compilation> {
  const args = [tscPath(version), '-p', projectDir, '--listFiles', '--pretty', 'false'];
  return new Promise((resolve) => {
    const options = { cwd: projectDir, maxBuffer: 16 << 20 };
    execFile(process.execPath, args, options, (error, stdout, stderr) => {
      const lines = `${stdout}${stderr}`.split(/\r?\n/).filter(Boolean);
      const isListedFile = (line: string) => /^(\/|[A-Za-z]:[\\/])\S*\.[cm]?ts$/.test(line);
      const ourEntry = /miniapp-jssdk[\\/]dist[\\/]((index|platform)\.d\.m?ts)$/;
      resolve({
        exitCode: error ? Number(error.code ?? 1) : 0,
        diagnostics: lines.filter((line) => !isListedFile(line)).join('\n'),
        entriesRead: lines
          .map((line) => ourEntry.exec(line)?.[1])
          .filter((entry): entry is string => entry !== undefined)
          .sort(),
      });
    });
  });
}

describe('the packed package type-checks for consumers', () => {
  let sharedDir = '';
  /** Started together once everything is installed; each test awaits its own. */
  const compilations = new Map<string, Promise<Compilation>>();
  const key = (version: TypeScriptVersion, consumer: Consumer) => `${version} ${consumer.folder}`;

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/index.d.mts'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does) before this suite.');
    }
    sharedDir = await mkdtemp(join(tmpdir(), 'consumer-compile-'));
    await mkdir(join(sharedDir, 'node_modules'));
    await settleAll([
      ...typescriptVersions.map(installTypeScript),
      installPackedPackage(sharedDir),
      ...['axios', '@types/node', 'undici-types'].map(async (name) => {
        await mkdir(dirname(join(sharedDir, 'node_modules', name)), { recursive: true });
        await symlink(
          join(repoRoot, 'node_modules', name),
          join(sharedDir, 'node_modules', name),
          'dir',
        );
      }),
      ...consumers.map((consumer) => writeConsumer(sharedDir, consumer)),
    ]);
    for (const version of typescriptVersions) {
      for (const consumer of consumers) {
        if (consumer.unsupported?.[version]) continue;
        compilations.set(
          key(version, consumer),
          compile(version, join(sharedDir, consumer.folder)),
        );
      }
    }
  }, 180_000);

  afterAll(async () => {
    // Let every compiler finish before its folder goes.
    await Promise.all(compilations.values());
    if (sharedDir) await rm(sharedDir, { recursive: true, force: true });
  });

  for (const version of typescriptVersions) {
    for (const consumer of consumers) {
      const title = `TypeScript ${version}, ${consumer.name}`;
      const unsupported = consumer.unsupported?.[version];
      if (unsupported) {
        it.skip(`${title}: not compiled, ${unsupported}`, () => {});
        continue;
      }
      it(`${title}: a strict consumer compiles`, async () => {
        const compilation = await compilations.get(key(version, consumer));
        expect(compilation).toBeDefined();
        const { exitCode, diagnostics, entriesRead } = compilation!;
        expect({ exitCode, diagnostics }).toEqual({ exitCode: 0, diagnostics: '' });
        expect(entriesRead).toEqual(consumer.entries);
      }, 60_000);
    }
  }
});

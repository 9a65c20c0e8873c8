// Builds dist/: ESM and CJS for each package entry (axios left to the user's copy), browser
// IIFE bundles with axios inside, and type declarations from tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const entries = ['index', 'platform'].filter((name) => existsSync(`src/${name}.ts`));
const browserBundles = [
  { entry: 'src/browser.ts', outfile: 'dist/miniapp-jssdk.min.js', globalName: 'ACloudMiniApp' },
  {
    entry: 'src/platform.ts',
    outfile: 'dist/miniapp-platform.min.js',
    globalName: 'ACloudPlatform',
  },
].filter((bundle) => existsSync(bundle.entry));

rmSync('dist', { recursive: true, force: true });

const library = {
  bundle: true,
  platform: 'neutral',
  target: 'es2020',
  external: ['axios'],
  sourcemap: true,
};
await Promise.all(
  entries.flatMap((name) => [
    build({
      ...library,
      entryPoints: [`src/${name}.ts`],
      format: 'esm',
      outfile: `dist/${name}.mjs`,
    }),
    build({
      ...library,
      entryPoints: [`src/${name}.ts`],
      format: 'cjs',
      outfile: `dist/${name}.cjs`,
    }),
  ]),
);
await Promise.all(
  browserBundles.map(({ entry, outfile, globalName }) =>
    build({
      entryPoints: [entry],
      outfile,
      globalName,
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      sourcemap: true,
      legalComments: 'none',
    }),
  ),
);

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
// The ESM entry needs declarations of its own kind; they re-export the CJS ones.
for (const name of entries) {
  writeFileSync(`dist/${name}.d.mts`, `export * from './${name}.js';\n`);
}
console.log(
  `built ${entries.length * 2} library files and ${browserBundles.length} browser bundles`,
);

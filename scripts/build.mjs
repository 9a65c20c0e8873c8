// Builds dist/: ESM and CJS for each package entry (axios left to the user's copy), an ESM face
// over the CJS build for Node, browser IIFE bundles with axios inside, and type declarations
// from tsc in both module kinds.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
// Static class fields stay class fields (es2022), so that bundlers can drop unused classes.
const target = 'es2022';
const define = { __SDK_VERSION__: JSON.stringify(version) };

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
  target,
  define,
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
      target,
      define,
      sourcemap: true,
      legalComments: 'none',
    }),
  ),
);

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
// Declarations of the ESM kind: the same text, with relative imports naming the .mjs files, so
// that TypeScript resolves everything in them ('axios' included) with import conditions.
for (const file of readdirSync('dist', { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(join('dist', file), 'utf8').replace(
    /((?:from|import)\s*\(?\s*')(\.{1,2}\/[^']+)(')/g,
    '$1$2.mjs$3',
  );
  writeFileSync(join('dist', file.replace(/\.d\.ts$/, '.d.mts')), text);
}

// In Node, `import` gets the CJS build through this face: one copy of the SDK per process, one
// singleton and one class identity for code that imports and code that requires it.
const require = createRequire(import.meta.url);
for (const name of entries) {
  const names = Object.keys(require(`../dist/${name}.cjs`)).sort();
  writeFileSync(
    `dist/${name}.node.mjs`,
    `import sdk from './${name}.cjs';\n\nexport const { ${names.join(', ')} } = sdk;\n`,
  );
}
console.log(
  `built ${entries.length * 2} library files and ${browserBundles.length} browser bundles`,
);

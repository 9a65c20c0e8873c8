// Benchmark, not a test: what one import costs in a user's bundle (esbuild, minified, axios
// left external, gzip -9), this SDK beside axios-auth-refresh and axios-jwt. The budgets
// themselves are checked by __tests__/package.test.ts. Run with `npm run size`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleImport } from '../__tests__/helpers/bundle-size';

const root = join(__dirname, '..');
const entry = JSON.stringify(join(root, 'dist/index.mjs'));
// axios-jwt's React Native storage is left out as a web bundler would resolve it away.
const external = ['axios', '@react-native-async-storage/async-storage'];

const imports: [string, string][] = [
  ['this SDK: OAuth2 + attachOAuth2', `export { OAuth2, attachOAuth2 } from ${entry};`],
  ['this SDK: the whole entry', `export * from ${entry};`],
  [
    'axios-auth-refresh: createAuthRefreshInterceptor',
    `export { default } from 'axios-auth-refresh';`,
  ],
  [
    'axios-jwt: applyAuthTokenInterceptor',
    `export { applyAuthTokenInterceptor } from 'axios-jwt';`,
  ],
];

async function main(): Promise<void> {
  const rows: Record<string, { 'min+gz bytes': number; 'min bytes': number }> = {};
  for (const [name, source] of imports) {
    const { code, gzipBytes } = await bundleImport(source, root, external);
    rows[name] = { 'min+gz bytes': gzipBytes, 'min bytes': code.length };
  }
  for (const file of ['miniapp-platform.min.js', 'miniapp-jssdk.min.js']) {
    const script = readFileSync(join(root, 'dist', file));
    rows[`script tag: ${file} (axios inside)`] = {
      'min+gz bytes': gzipSync(script, { level: 9 }).length,
      'min bytes': script.length,
    };
  }
  console.table(rows);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

/** What a user's bundler makes of one import: minified code and its gzip size. */
export interface BundledImport {
  code: string;
  gzipBytes: number;
}

/**
 * Bundles `source` as a user's bundler would for the browser (esbuild, minified, ESM, with the
 * packages in `external` left to the user's copy) and measures it gzipped at level 9.
 */
export async function bundleImport(
  source: string,
  resolveDir: string,
  external: string[] = ['axios'],
): Promise<BundledImport> {
  const result = await build({
    stdin: { contents: source, resolveDir, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return { code, gzipBytes: gzipSync(code, { level: 9 }).length };
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const script = `
  const axios = mod.default ?? mod.axios;
  const { OAuth2, attachOAuth2, OAuth2RefreshError, OAuth2NotInitializedError } = sdk;
  const oauth2 = OAuth2.initialize({ accessToken: 'a', refreshHandler: async () => ({ accessToken: 'b' }) });
  const instance = axios.create({ baseURL: 'https://example.aspro.cloud/api' });
  let seen;
  instance.defaults.adapter = async (config) => {
    seen = config.headers.get('Authorization');
    return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
  };
  const detach = attachOAuth2(instance);
  await instance.get('/x');
  const refreshed = await oauth2.refresh();
  oauth2.destroy();
  let notInitialized = false;
  try { OAuth2.getInstance(); } catch (error) { notInitialized = error instanceof OAuth2NotInitializedError; }
  console.log(JSON.stringify({
    seen, refreshed: refreshed.accessToken, notInitialized,
    errorName: new OAuth2RefreshError('REFRESH_FAILED', 'm').name, detach: typeof detach,
  }));
`;
const expected = {
  seen: 'Bearer a',
  refreshed: 'b',
  notInitialized: true,
  errorName: 'OAuth2RefreshError',
  detach: 'function',
};

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));
}

describe('the built package', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/index.cjs'))) {
      throw new Error('dist/ is missing: run `npm run build` (npm test does) before this suite.');
    }
  });

  it('loads with require() through the package exports', () => {
    const source = `(async () => { const sdk = require('@aspro-cloud/miniapp-jssdk'); const mod = require('axios'); ${script} })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(run(['-e', source])).toEqual(expected);
  });

  it('loads with import through the package exports', () => {
    const source = `const sdk = await import('@aspro-cloud/miniapp-jssdk'); const mod = await import('axios'); ${script}`;
    expect(run(['--input-type=module', '-e', source])).toEqual(expected);
  });

  it('ships declarations for both entry kinds', () => {
    for (const file of ['dist/index.d.ts', 'dist/index.d.mts']) {
      expect(existsSync(join(root, file))).toBe(true);
    }
  });
});

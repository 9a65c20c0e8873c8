/**
 * The peer range starts at axios 1.6: the origin policy must hold for what old versions really
 * send. Each case loads the SDK against that axios, as a user who has it installed would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Recorder {
  server: Server;
  origin: string;
  seen: (string | undefined)[];
}

async function recorder(): Promise<Recorder> {
  const seen: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe.each([
  ['1.6.0', 'http'],
  ['1.8.1', 'http'],
  ['1.8.1', 'fetch'],
])('axios %s on the %s adapter', (version, adapter) => {
  it('allowAbsoluteUrls: false with a URL from user input: the token never reaches another origin', async () => {
    let sdk!: typeof import('../src') & { axios: typeof import('axios') };
    jest.isolateModules(() => {
      jest.doMock('axios', () => jest.requireActual(`axios-${version}`));
      sdk = {
        ...jest.requireActual<typeof import('../src')>('../src'),
        axios: jest.requireActual(`axios-${version}`),
      };
    });
    expect(sdk.axios.VERSION).toBe(version);
    const api = await recorder();
    const evil = await recorder();
    try {
      const oauth2 = new sdk.OAuth2({ accessToken: 'secret-access' });
      const client = sdk.axios.create({
        baseURL: api.origin,
        adapter,
        allowAbsoluteUrls: false,
      } as object);
      sdk.attachOAuth2(client, { oauth2 });
      await client.get(`${evil.origin}/steal`).catch(() => undefined);
      await client.get('/home').catch(() => undefined);
      // Wherever this version sent the absolute URL, it went without the token.
      expect(evil.seen.concat(api.seen.slice(0, -1))).toEqual(
        Array(evil.seen.length + api.seen.length - 1).fill(undefined),
      );
      expect(api.seen.at(-1)).toBe('Bearer secret-access');
      oauth2.destroy();
    } finally {
      for (const { server } of [api, evil]) {
        server.closeAllConnections();
        server.close();
      }
    }
  });
});

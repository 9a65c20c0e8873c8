/**
 * The origin policy against the WHATWG URL parser, on random URLs: the token goes exactly when
 * the origin that `new URL` resolves axios's own full path to is allowed. The oracle uses
 * axios's `getUri()` for the path and its own reading of the allow-list, not the SDK's helpers.
 */
import axios, { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import fc from 'fast-check';
import { OAuth2, attachOAuth2 } from '../src';
import { anyUrl, oneOf } from './helpers/urls';

const runs = Number(process.env.PROPERTY_RUNS ?? 1000) * 3;
const allowedOrigins = ['https://files.example.com', 'https://*.cdn.example', 'http://[::1]:8080'];

/** The oracle's reading of the allow-list: exact origins, and one label or more below cdn.example. */
function oracleAllows(origin: string, instanceBaseURL: string | undefined): boolean {
  if (origin === 'null') return false;
  const instanceOrigin = instanceBaseURL ? originOrNull(instanceBaseURL) : null;
  if (origin === instanceOrigin) return true;
  if (['https://files.example.com', 'http://[::1]:8080'].includes(origin)) return true;
  const url = new URL(origin);
  return (
    url.protocol === 'https:' &&
    url.port === '' &&
    /^[^.]+(\.[^.]+)*\.cdn\.example$/.test(url.hostname)
  );
}

function originOrNull(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

const baseURL = oneOf(
  undefined,
  'https://api.example.com/v1',
  'https://api.example.com',
  'https://api.example.com/',
  '/relative/path',
  'http://other.test',
  ' https://api.example.com',
);

describe('the origin policy against the WHATWG URL parser', () => {
  it(`gives the token exactly to allowed origins, over ${runs} random URLs and configs`, async () => {
    const oauth2 = new OAuth2({ accessToken: 'the-token' });
    const seen: { authorization: unknown; url: string }[] = [];
    const adapter = async (config: InternalAxiosRequestConfig) => {
      seen.push({
        authorization: AxiosHeaders.from(config.headers).get('Authorization'),
        url: String(config.url),
      });
      return { data: {}, status: 200, statusText: 'OK', headers: {}, config };
    };
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        baseURL,
        baseURL,
        anyUrl,
        oneOf(undefined, true, false),
        async (instanceBaseURL, requestBaseURL, url, allowAbsoluteUrls) => {
          const api = axios.create({ baseURL: instanceBaseURL, adapter });
          const detach = attachOAuth2(api, { oauth2, allowedOrigins });
          const config = {
            url,
            allowAbsoluteUrls,
            ...(requestBaseURL ? { baseURL: requestBaseURL } : {}),
          };
          let fullPath: string;
          try {
            fullPath = api.getUri(config);
          } catch {
            detach();
            return; // axios itself refuses the URL: nothing is sent
          }
          seen.length = 0;
          await api.request(config).catch(() => undefined);
          detach();
          if (seen.length === 0) return;
          const origin = originOrNull(fullPath);
          const expected = origin !== null && oracleAllows(origin, instanceBaseURL);
          checked += 1;
          expect({
            url,
            fullPath,
            origin,
            token: seen[0].authorization === 'Bearer the-token',
          }).toEqual({
            url,
            fullPath,
            origin,
            token: expected,
          });
        },
      ),
      { numRuns: runs },
    );
    oauth2.destroy();
    expect(checked).toBeGreaterThan(runs / 2);
  });
});

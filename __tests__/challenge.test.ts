/**
 * RFC 6750 challenges: the Bearer challenge's `error` (quoted or token, any parameter and scheme
 * order) and the body's `error` decide; refresh on a plain 401 or `invalid_token`, never on
 * `insufficient_scope` or `invalid_request`.
 */
import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { defaultShouldRefresh } from '../src';
import { bearerChallengeError, bodyError } from '../src/challenge';

function rejection(status: number, challenge?: string, data: unknown = {}): AxiosError {
  const config = { headers: new AxiosHeaders() } as InternalAxiosRequestConfig;
  const headers = challenge === undefined ? {} : { 'WWW-Authenticate': challenge };
  return new AxiosError(
    'rejected',
    'ERR_BAD_REQUEST',
    config,
    {},
    {
      status,
      statusText: '',
      headers,
      config,
      data,
    },
  );
}

describe('the Bearer challenge', () => {
  it.each<[string, string | undefined]>([
    ['Bearer error="invalid_token"', 'invalid_token'],
    ['Bearer error=invalid_token', 'invalid_token'],
    ['bearer ERROR="insufficient_scope"', 'insufficient_scope'],
    ['Bearer realm="api", scope="read", error="insufficient_scope"', 'insufficient_scope'],
    ['Basic realm="x", Bearer error="invalid_request"', 'invalid_request'],
    ['Bearer error="invalid_token", Basic realm="error=insufficient_scope"', 'invalid_token'],
    ['Basic error="insufficient_scope", Bearer realm="api"', undefined],
    ['Bearer error_description="the error=insufficient_scope happened"', undefined],
    ['Bearer realm="say \\"error=insufficient_scope\\"", error="invalid_token"', 'invalid_token'],
    ['Bearer', undefined],
    ['Bearer realm="unterminated', undefined],
    ['', undefined],
  ])('%s → %p', (header, expected) => {
    expect(bearerChallengeError(header)).toBe(expected);
  });

  it('reads a header given as several values', () => {
    expect(bearerChallengeError(['Basic realm="x"', 'Bearer error="insufficient_scope"'])).toBe(
      'insufficient_scope',
    );
    expect(bearerChallengeError(undefined)).toBeUndefined();
  });

  it("reads the body's error from an object or from JSON text, as adapters hand it over", () => {
    expect(bodyError({ error: 'insufficient_scope' })).toBe('insufficient_scope');
    expect(bodyError('{"error":"invalid_request"}')).toBe('invalid_request');
    expect(bodyError('not json')).toBeUndefined();
    expect(bodyError('{broken')).toBeUndefined();
    expect(bodyError({ error: { code: 1 } })).toBeUndefined();
    expect(bodyError(null)).toBeUndefined();
    const bytes = new TextEncoder().encode('{"error":"insufficient_scope"}');
    expect(bodyError(bytes)).toBe('insufficient_scope');
    expect(bodyError(bytes.buffer)).toBe('insufficient_scope');
    expect(bodyError(Buffer.from('{"error":"invalid_request"}'))).toBe('invalid_request');
    expect(bodyError(new Uint8Array(70_000))).toBeUndefined();
  });
});

describe('defaultShouldRefresh', () => {
  it.each<[string, AxiosError, boolean]>([
    ['a plain 401', rejection(401), true],
    ['invalid_token', rejection(401, 'Bearer error="invalid_token"'), true],
    ['insufficient_scope', rejection(401, 'Bearer error="insufficient_scope"'), false],
    ['invalid_request', rejection(401, 'Bearer error=invalid_request'), false],
    [
      'the words only in a description',
      rejection(401, 'Bearer error_description="insufficient_scope"'),
      true,
    ],
    [
      'a body that says insufficient_scope',
      rejection(401, undefined, { error: 'insufficient_scope' }),
      false,
    ],
    [
      'a JSON body that says invalid_request',
      rejection(401, undefined, '{"error":"invalid_request"}'),
      false,
    ],
    ['a body error other than the two', rejection(401, undefined, { error: 'Unauthorized' }), true],
    [
      'the header over the body',
      rejection(401, 'Bearer error="invalid_token"', { error: 'insufficient_scope' }),
      true,
    ],
    ['a 403', rejection(403, 'Bearer error="invalid_token"'), false],
  ])('%s → %p', (_label, error, expected) => {
    expect(defaultShouldRefresh(error)).toBe(expected);
  });

  it('a network error (no response) never refreshes', () => {
    expect(defaultShouldRefresh(new AxiosError('Network Error', 'ERR_NETWORK'))).toBe(false);
  });
});

import {
  createFailure,
  createRequest,
  createResult,
  readAuth,
  readContext,
  readRequest,
  readResponse,
} from '../src/protocol';
import { sampleContext } from './helpers/context';

describe('readRequest', () => {
  it('accepts a well-formed request and copies its params', () => {
    const request = createRequest('id-1', 'refresh', { refresh_token: 'r' });
    const read = readRequest(request);
    expect(read).toEqual(request);
    expect(read?.params).not.toBe(request.params);
  });

  it('reads missing params as none', () => {
    const withoutParams: Record<string, unknown> = { ...createRequest('id', 'context') };
    delete withoutParams.params;
    expect(readRequest(withoutParams)).toEqual(createRequest('id', 'context'));
  });

  it.each<[string, unknown]>([
    ['an unknown method', { ...createRequest('id', 'context'), method: 'steal' }],
    ['a non-string method', { ...createRequest('id', 'context'), method: 7 }],
    ['params that are an array', { ...createRequest('id', 'context'), params: ['x'] }],
    ['an empty param value', createRequest('id', 'refresh', { refresh_token: '' })],
    [
      'an oversized param value',
      createRequest('id', 'refresh', { refresh_token: 'x'.repeat(16_385) }),
    ],
    ['an empty id', createRequest('', 'context')],
    ['an id of 129 characters', createRequest('x'.repeat(129), 'context')],
    ['a response', createResult('id', {})],
  ])('refuses %s', (_label, data) => {
    expect(readRequest(data)).toBeNull();
  });

  it('accepts the longest id and param value allowed', () => {
    expect(
      readRequest(createRequest('x'.repeat(128), 'refresh', { refresh_token: 'y'.repeat(16_384) })),
    ).not.toBeNull();
  });
});

describe('readResponse', () => {
  it('reads a success with its result, and a failure with its code and message', () => {
    expect(readResponse(createResult('id', { a: 1 }))).toEqual(createResult('id', { a: 1 }));
    expect(readResponse(createFailure('id', 'denied', ''))).toEqual(
      createFailure('id', 'denied', ''),
    );
  });

  it('cuts an overlong code and message when building a failure', () => {
    const failure = createFailure('id', 'c'.repeat(150), 'm'.repeat(1500));
    expect(failure).toMatchObject({ error: { code: 'c'.repeat(100), message: 'm'.repeat(1000) } });
  });

  it.each<[string, unknown]>([
    ['ok that is not a boolean', { ...createResult('id', 1), ok: 'yes' }],
    [
      'a failure with an empty code',
      { ...createFailure('id', 'c', 'm'), error: { code: '', message: 'm' } },
    ],
    [
      'a failure whose message is not a string',
      { ...createFailure('id', 'c', 'm'), error: { code: 'c', message: 1 } },
    ],
    ['a failure whose error is an array', { ...createFailure('id', 'c', 'm'), error: ['c', 'm'] }],
  ])('refuses %s', (_label, data) => {
    expect(readResponse(data)).toBeNull();
  });
});

describe('readAuth', () => {
  it('copies the three fields, defaulting the optional ones to empty', () => {
    expect(readAuth({ access_token: 'a', extra: 'x' })).toEqual({
      access_token: 'a',
      refresh_token: '',
      expires_at: '',
    });
    expect(readAuth(sampleContext.auth)).toEqual(sampleContext.auth);
  });

  it.each<[string, unknown]>([
    ['no access token', { refresh_token: 'r' }],
    ['a non-string refresh token', { access_token: 'a', refresh_token: 1 }],
    ['an oversized refresh token', { access_token: 'a', refresh_token: 'r'.repeat(16_385) }],
    ['a non-string expiry', { access_token: 'a', expires_at: 1 }],
    ['an unreadable expiry', { access_token: 'a', expires_at: 'tomorrow' }],
    ['an array', ['a']],
  ])('refuses %s', (_label, value) => {
    expect(readAuth(value)).toBeNull();
  });

  it('accepts a refresh token of the longest length allowed', () => {
    expect(readAuth({ access_token: 'a', refresh_token: 'r'.repeat(16_384) })).not.toBeNull();
  });
});

describe('readContext', () => {
  it('copies a full context field by field', () => {
    const read = readContext(sampleContext);
    expect(read).toEqual(sampleContext);
    expect(read?.placement).not.toBe(sampleContext.placement);
  });

  it('fills what is missing or of the wrong type with defaults', () => {
    const read = readContext({
      https: false,
      domain: 'localhost:8080',
      auth: { access_token: 'a' },
      account: 'not an object',
      app: { id: 7, version: 'v'.repeat(300) },
      placement: { id: 'p', props: ['not', 'a', 'record'] },
      ratelimit: { limit: -3 },
    });
    expect(read).toEqual({
      https: false,
      language: 'en',
      domain: 'localhost:8080',
      account: { id: '' },
      app: { id: '', version: 'v'.repeat(256) },
      auth: { access_token: 'a', refresh_token: '', expires_at: '' },
      placement: { id: 'p', code: '', props: {} },
      ratelimit: { limit: 0 },
    });
  });

  it('copies placement props as plain data: functions dropped, __proto__ an ordinary key', () => {
    const props = JSON.parse('{"__proto__": {"polluted": true}, "size": 3}') as Record<
      string,
      unknown
    >;
    const read = readContext({
      ...sampleContext,
      placement: { ...sampleContext.placement, props: { ...props, run: () => 1 } },
    });
    const copied = read!.placement.props;
    expect(copied.size).toBe(3);
    expect(copied).not.toHaveProperty('run');
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(copied, '__proto__')).toBe(true);
    expect((copied as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['no domain', { ...sampleContext, domain: undefined }],
    ['a domain with a path', { ...sampleContext, domain: 'example.com/api' }],
    ['a domain with credentials', { ...sampleContext, domain: 'user@example.com' }],
    ['a domain that is too long', { ...sampleContext, domain: `${'a'.repeat(250)}.com` }],
    ['https that is not a boolean', { ...sampleContext, https: 'true' }],
    ['a language that is too long', { ...sampleContext, language: 'x'.repeat(17) }],
    ['an empty language', { ...sampleContext, language: '' }],
    ['no auth', { ...sampleContext, auth: undefined }],
    ['a string', 'context'],
  ])('refuses %s', (_label, data) => {
    expect(readContext(data)).toBeNull();
  });

  it('keeps a positive rate limit and a language of 16 characters', () => {
    const read = readContext({
      ...sampleContext,
      language: 'x'.repeat(16),
      ratelimit: { limit: 2 },
    });
    expect(read).toMatchObject({ language: 'x'.repeat(16), ratelimit: { limit: 2 } });
  });
});

import {
  OAuth2,
  OAuth2Error,
  OAuth2NotInitializedError,
  isMiniAppError,
  MiniAppError,
} from '../src';
import { resetOAuth2 } from './helpers/setup';

afterEach(resetOAuth2);

describe('OAuth2 singleton', () => {
  it('getInstance() throws a typed error that says what to call before initialize()', () => {
    expect(() => OAuth2.getInstance()).toThrow(OAuth2NotInitializedError);
    try {
      OAuth2.getInstance();
    } catch (error) {
      expect(error).toBeInstanceOf(OAuth2Error);
      expect(error).toBeInstanceOf(MiniAppError);
      expect(error).toBeInstanceOf(Error);
      expect((error as OAuth2NotInitializedError).name).toBe('OAuth2NotInitializedError');
      expect((error as OAuth2NotInitializedError).code).toBe('NOT_INITIALIZED');
      expect((error as Error).message).toMatch(/OAuth2\.initialize\(\)/);
      expect((error as Error).message).toMatch(/App\.initializeFrame\(\)/);
    }
  });

  it('initialize() creates the instance that getInstance() returns', () => {
    const oauth2 = OAuth2.initialize({ accessToken: 'a', refreshToken: 'r' });
    expect(OAuth2.getInstance()).toBe(oauth2);
    expect(oauth2.accessToken).toBe('a');
    expect(oauth2.refreshToken).toBe('r');
    expect(oauth2.expiresAt).toBeNull();
  });

  it('a second initialize() keeps the tokens and only replaces the event handlers', () => {
    const first = OAuth2.initialize({ accessToken: 'a', refreshToken: 'r' });
    const onRefresh = jest.fn();
    const second = OAuth2.initialize({ accessToken: 'other', events: { onRefresh } });
    expect(second).toBe(first);
    expect(second.accessToken).toBe('a');
    expect(second.events.onRefresh).toBe(onRefresh);
  });

  it('a second initialize() without events keeps the handlers it had', () => {
    const onRefresh = jest.fn();
    OAuth2.initialize({ events: { onRefresh } });
    expect(OAuth2.initialize({}).events.onRefresh).toBe(onRefresh);
  });

  it('destroy() clears the singleton, so initialize() creates a new one', () => {
    const first = OAuth2.initialize({ accessToken: 'a' });
    first.destroy();
    expect(() => OAuth2.getInstance()).toThrow(OAuth2NotInitializedError);
    const second = OAuth2.initialize({ accessToken: 'b' });
    expect(second).not.toBe(first);
    expect(second.accessToken).toBe('b');
  });

  it('destroying an independent instance leaves the singleton alone', () => {
    const singleton = OAuth2.initialize({ accessToken: 'a' });
    new OAuth2({ accessToken: 'b' }).destroy();
    expect(OAuth2.getInstance()).toBe(singleton);
  });

  it('events can be replaced through the setter, and the getter returns a copy', () => {
    const oauth2 = OAuth2.initialize();
    const onRefresh = jest.fn();
    oauth2.events = { onRefresh };
    const copy = oauth2.events;
    delete copy.onRefresh;
    expect(oauth2.events.onRefresh).toBe(onRefresh);
    expect(() => {
      oauth2.events = null as never;
    }).toThrow(TypeError);
  });

  it('isMiniAppError recognises errors from another realm by name and code', () => {
    const foreign = Object.assign(new Error('x'), {
      name: 'OAuth2RefreshError',
      code: 'REFRESH_FAILED',
    });
    expect(isMiniAppError(foreign)).toBe(true);
    expect(isMiniAppError(new Error('x'))).toBe(false);
    expect(isMiniAppError(Object.assign(new Error('x'), { name: 'OAuth2RefreshError' }))).toBe(
      false,
    );
    expect(isMiniAppError('OAuth2RefreshError')).toBe(false);
  });
});

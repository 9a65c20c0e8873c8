import { parseExpiry } from './expiry';

/**
 * The messages between a mini-app frame and the platform window: shapes, and the checks each side
 * runs on what it receives. Documented in docs/protocol.md. Shared by both sides; no DOM here.
 */

/** Marks this protocol's messages among everything else a window receives. */
export const protocolName = 'aspro.miniapp';
/** Version of the message shapes; a side ignores messages of a version it does not speak. */
export const protocolVersion = 1;

/** The requests a mini-app sends. */
export type BridgeMethod = 'context' | 'refresh';

/** What every message carries. */
interface Envelope<Kind extends 'request' | 'response'> {
  protocol: typeof protocolName;
  version: typeof protocolVersion;
  kind: Kind;
  id: string;
}

/** Mini-app → platform. */
export interface BridgeRequest extends Envelope<'request'> {
  method: BridgeMethod;
  params: Record<string, string>;
}

/** Platform → mini-app, answering the request with the same `id`. */
export type BridgeResponse =
  | (Envelope<'response'> & { ok: true; result: unknown })
  | (Envelope<'response'> & { ok: false; error: { code: string; message: string } });

/** The token part of the context, as the platform sends it. */
export interface AuthContext {
  /** The OAuth2 access token; never empty. */
  access_token: string;
  /** The OAuth2 refresh token; `''` when there is none. */
  refresh_token: string;
  /** `YYYY-MM-DD HH:mm:ss`, read as UTC. */
  expires_at: string;
}

/** The context the platform hands to the frame. */
export interface FrameContext {
  /** Whether the account is served over HTTPS; with `domain`, gives the default REST base URL. */
  https: boolean;
  /** The user's language, such as `'ru'` or `'en'`; `'en'` when the platform sent none. */
  language: string;
  /** The account's host name, with an optional `:port`, such as `example.aspro.cloud`. */
  domain: string;
  /** The account the mini-app runs for. */
  account: {
    /** The account's id; `''` when the platform sent none. */
    id: string;
  };
  /** The mini-app as the platform knows it. */
  app: {
    /** The mini-app's id on the platform; `''` when the platform sent none. */
    id: string;
    /** The mini-app's version, such as `'1.0.0'`; `''` when the platform sent none. */
    version: string;
  };
  /** The mini-app's OAuth2 tokens. */
  auth: AuthContext;
  /** Where on the platform's pages the mini-app is embedded. */
  placement: {
    /** The id of the embedding placement; `''` when the platform sent none. */
    id: string;
    /** The placement's kind, such as `'app.homepage'` or `'header.widget'`; `''` when none sent. */
    code: string;
    /** Data the platform passes to the placement, copied as plain JSON; `{}` when none was sent. */
    props: Record<string, unknown>;
  };
  /** The platform's request rate limit for this mini-app. */
  ratelimit: {
    /** The platform's REST requests-per-second limit for this app; `0` when none was sent. */
    limit: number;
  };
}

const longestId = 128;
/** The longest text field a message may carry: tokens included. */
export const longestText = 16_384;
const methods: readonly string[] = ['context', 'refresh'];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property only, so `__proto__` or `constructor` in a message are never followed. */
export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

export function isShortText(value: unknown, longest = longestText): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= longest;
}

function isEnvelope(data: unknown, kind: 'request' | 'response'): data is Record<string, unknown> {
  return (
    isRecord(data) &&
    own(data, 'protocol') === protocolName &&
    own(data, 'version') === protocolVersion &&
    own(data, 'kind') === kind &&
    isShortText(own(data, 'id'), longestId)
  );
}

/** Builds a request. */
export function createRequest(
  id: string,
  method: BridgeMethod,
  params: Record<string, string> = {},
): BridgeRequest {
  return { protocol: protocolName, version: protocolVersion, kind: 'request', id, method, params };
}

/** Builds a success response. */
export function createResult(id: string, result: unknown): BridgeResponse {
  return {
    protocol: protocolName,
    version: protocolVersion,
    kind: 'response',
    id,
    ok: true,
    result,
  };
}

/** Builds an error response. */
export function createFailure(id: string, code: string, message: string): BridgeResponse {
  return {
    protocol: protocolName,
    version: protocolVersion,
    kind: 'response',
    id,
    ok: false,
    error: { code: code.slice(0, 100), message: message.slice(0, 1000) },
  };
}

/** The request in `data`, or `null` when it is not one of ours. */
export function readRequest(data: unknown): BridgeRequest | null {
  if (!isEnvelope(data, 'request')) return null;
  const method = own(data, 'method');
  const params = own(data, 'params') ?? {};
  if (typeof method !== 'string' || !methods.includes(method) || !isRecord(params)) return null;
  const copied: Record<string, string> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (!isShortText(value)) return null;
    copied[key] = value;
  }
  return createRequest(own(data, 'id') as string, method as BridgeMethod, copied);
}

/** The response in `data`, or `null` when it is not one of ours. */
export function readResponse(data: unknown): BridgeResponse | null {
  if (!isEnvelope(data, 'response')) return null;
  const id = own(data, 'id') as string;
  const ok = own(data, 'ok');
  if (ok === true) return createResult(id, own(data, 'result'));
  const error = own(data, 'error');
  if (ok !== false || !isRecord(error)) return null;
  const code = own(error, 'code');
  const message = own(error, 'message');
  if (!isShortText(code) || typeof message !== 'string') return null;
  return createFailure(id, code, message);
}

/** The auth part of a context or refresh result, checked and copied; `null` when malformed. */
export function readAuth(value: unknown): AuthContext | null {
  if (!isRecord(value)) return null;
  const accessToken = own(value, 'access_token');
  const refreshToken = own(value, 'refresh_token') ?? '';
  const expiresAt = own(value, 'expires_at') ?? '';
  if (
    !isShortText(accessToken) ||
    typeof refreshToken !== 'string' ||
    typeof expiresAt !== 'string'
  ) {
    return null;
  }
  if (refreshToken.length > longestText) return null;
  if (expiresAt !== '' && typeof parseExpiry(expiresAt) === 'string') return null;
  return { access_token: accessToken, refresh_token: refreshToken, expires_at: expiresAt };
}

const hostname = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

/** The context in `data`, checked and copied field by field; `null` when malformed. */
export function readContext(data: unknown): FrameContext | null {
  if (!isRecord(data)) return null;
  const domain = own(data, 'domain');
  const https = own(data, 'https');
  const language = own(data, 'language') ?? 'en';
  const auth = readAuth(own(data, 'auth'));
  if (!isShortText(domain, 253) || !hostname.test(domain) || typeof https !== 'boolean')
    return null;
  if (!isShortText(language, 16) || !auth) return null;
  const account = own(data, 'account');
  const app = own(data, 'app');
  const placement = own(data, 'placement');
  const ratelimit = own(data, 'ratelimit');
  const text = (record: unknown, key: string) => {
    const value = isRecord(record) ? own(record, key) : undefined;
    return typeof value === 'string' ? value.slice(0, 256) : '';
  };
  const props = isRecord(placement) ? own(placement, 'props') : undefined;
  const limit = isRecord(ratelimit) ? own(ratelimit, 'limit') : undefined;
  return {
    https,
    language,
    domain,
    account: { id: text(account, 'id') },
    app: { id: text(app, 'id'), version: text(app, 'version') },
    auth,
    placement: {
      id: text(placement, 'id'),
      code: text(placement, 'code'),
      props: isRecord(props) ? copyPlain(props) : {},
    },
    ratelimit: { limit: typeof limit === 'number' && limit > 0 ? limit : 0 },
  };
}

/** A JSON round trip drops functions and makes `__proto__` an ordinary own key, never a prototype. */
function copyPlain(record: Record<string, unknown>): Record<string, unknown> {
  try {
    const copy: unknown = JSON.parse(JSON.stringify(record));
    return isRecord(copy) ? copy : {};
  } catch {
    return {};
  }
}

import { isOAuth2RefreshError } from './errors';
import { parseExpiry } from './expiry';
import { isRecord, isShortText, longestText, own } from './protocol';
import type { OAuth2RefreshResult } from './tokens';

/**
 * One refresh for every frame and tab of a mini-app that share a key: a Web Lock elects the
 * frame that refreshes, a BroadcastChannel carries its outcome to the others. Both are scoped to
 * the origin (and, where the browser partitions storage, to the embedding site), so only
 * same-origin frames of the same key take part. Only tokens, their expiry and a failure's code
 * cross the channel.
 */

/** The failures a sibling shares: a refresh that was refused or not answered. */
const sharedCodes = ['REFRESH_FAILED', 'REFRESH_TIMEOUT'] as const;
type SharedFailureCode = (typeof sharedCodes)[number];
const isSharedCode = (code: unknown): code is SharedFailureCode =>
  (sharedCodes as readonly unknown[]).includes(code);

/** What a sibling tells: new tokens, or a failure, for the access token `replaces`. */
export type SiblingNews =
  | { kind: 'refreshed'; replaces: string; tokens: OAuth2RefreshResult }
  | { kind: 'failed'; replaces: string; code: SharedFailureCode };

/** A refresh run under the lock; see {@link RefreshCoordination.run}. */
export interface CoordinatedRefresh<T> {
  /** The access token the refresh is to replace. */
  replaces: string;
  /** Calls the refresh handler and adopts its answer; publishes through `publish`. */
  obtain: () => Promise<T>;
  /**
   * Aborted once the refresh is settled otherwise (a sibling's tokens, the timeout, destroy):
   * the lock is then given up. A reason that is an `OAuth2RefreshError` of a shared code is
   * told to the siblings.
   */
  signal: AbortSignal;
  /**
   * How long an answer may still come after the refresh timed out: the lock is kept that long
   * (or until it comes), so that no sibling spends the same refresh token meanwhile.
   */
  lateAnswerMs: number;
}

/** The coordination of one OAuth2 instance. */
export interface RefreshCoordination {
  /**
   * Runs `obtain` holding the key's lock, after news queued before the lock was granted has been
   * heard (a sibling's tokens or failure settle the refresh, which aborts `signal`); tells the
   * siblings a failure before the lock is released. Where the browser refuses the lock
   * (a cross-site frame without storage partitioning), runs `obtain` alone from then on.
   */
  run<T>(refresh: CoordinatedRefresh<T>): Promise<T>;
  /** Tells the siblings new tokens (call while holding the lock, before it is released). */
  publish(replaces: string, tokens: OAuth2RefreshResult): void;
  /**
   * Leaves the channel, and gives the lock up if it is kept for a late answer; refreshes waiting
   * for the lock are left to their `signal`.
   */
  close(): void;
}

interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<unknown>,
  ): Promise<unknown>;
}

interface ChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  /** Node only: lets the process exit while the channel is open. */
  unref?(): void;
}

type ChannelConstructor = new (name: string) => ChannelLike;

const protocol = 'aspro.miniapp.refresh';
const version = 1;

/**
 * Joins the siblings of `key`, or returns `null` where Web Locks or BroadcastChannel are
 * missing: then the instance refreshes on its own, as without a key.
 */
export function coordinateRefresh(
  key: string,
  hear: (news: SiblingNews) => void,
): RefreshCoordination | null {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const Channel = (globalThis as { BroadcastChannel?: ChannelConstructor }).BroadcastChannel;
  if (!locks || typeof locks.request !== 'function' || typeof Channel !== 'function') return null;
  const lockManager = locks;
  const name = `${protocol}/${version}/${key}`;
  let channel: ChannelLike | null;
  try {
    channel = new Channel(name);
  } catch {
    return null;
  }
  channel.unref?.();
  const echoes = new Map<string, () => void>();
  /** Ends the waits for late answers, on close. */
  const lateWaits = new Set<() => void>();

  const post = (message: Record<string, unknown>) =>
    channel?.postMessage({ protocol, version, ...message });

  channel.onmessage = ({ data }) => {
    const message = readMessage(data);
    if (message?.kind === 'echo') echoes.get(message.id)?.();
    else if (message) hear(message);
  };

  /** Resolves once a message posted now has come back, so news posted before it has been heard. */
  const echo = () =>
    new Promise<void>((resolve) => {
      if (!channel) return resolve();
      const id = String(Math.random());
      echoes.set(id, () => {
        echoes.delete(id);
        resolve();
      });
      const probe = new Channel(name);
      probe.postMessage({ protocol, version, kind: 'echo', id });
      probe.close();
    });

  /** Resolves when `answer` settles, `ms` pass, or the channel closes. */
  const lateAnswer = (answer: Promise<unknown>, ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lateWaits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      // Node: a wait for an answer that may never come does not keep the process alive.
      (timer as { unref?: () => void }).unref?.();
      lateWaits.add(done);
      answer.then(done, done);
    });

  const close = () => {
    channel?.close();
    channel = null;
    for (const resolve of [...echoes.values(), ...lateWaits]) resolve();
  };

  /**
   * The lock's callback: hear what is queued, then refresh, telling the siblings a failure;
   * after a timeout, keep the lock while the answer may still come.
   */
  async function underLock<T>(refresh: CoordinatedRefresh<T>): Promise<T> {
    const { replaces, signal } = refresh;
    await untilAborted(echo(), signal);
    const answer = refresh.obtain();
    try {
      return await untilAborted(answer, signal);
    } catch (error) {
      const reason: unknown = signal.aborted ? signal.reason : error;
      const code = isOAuth2RefreshError(reason)
        ? reason.code
        : signal.aborted
          ? null
          : 'REFRESH_FAILED';
      if (isSharedCode(code)) post({ kind: 'failed', replaces, code });
      if (code === 'REFRESH_TIMEOUT') await lateAnswer(answer, refresh.lateAnswerMs);
      throw error;
    }
  }

  async function run<T>(refresh: CoordinatedRefresh<T>): Promise<T> {
    if (!channel) return refresh.obtain();
    let granted = false;
    try {
      return (await lockManager.request(name, { signal: refresh.signal }, () => {
        granted = true;
        return underLock(refresh);
      })) as T;
    } catch (error) {
      if (granted || refresh.signal.aborted) throw error;
      // The browser refused the lock (SecurityError in a cross-site frame whose storage is not
      // partitioned): refresh alone, as without coordination, from now on.
      close();
      return refresh.obtain();
    }
  }

  return {
    run,
    publish(replaces, { accessToken, refreshToken, expiresAt }) {
      post({
        kind: 'refreshed',
        replaces,
        accessToken,
        refreshToken,
        expiresAt: expiresAt?.getTime() ?? null,
      });
    },
    close,
  };
}

type Message =
  | { kind: 'refreshed'; replaces: string; tokens: OAuth2RefreshResult }
  | { kind: 'failed'; replaces: string; code: SharedFailureCode }
  | { kind: 'echo'; id: string };

/** The message in `data`, checked and copied; `null` when it is not a well-formed one of ours. */
function readMessage(data: unknown): Message | null {
  if (!isRecord(data) || own(data, 'protocol') !== protocol || own(data, 'version') !== version) {
    return null;
  }
  const kind = own(data, 'kind');
  if (kind === 'echo') {
    const id = own(data, 'id');
    return isShortText(id, 128) ? { kind, id } : null;
  }
  const replaces = own(data, 'replaces');
  if (typeof replaces !== 'string' || replaces.length > longestText) return null;
  if (kind === 'failed') {
    const code = own(data, 'code');
    return isSharedCode(code) ? { kind, replaces, code } : null;
  }
  const accessToken = own(data, 'accessToken');
  const refreshToken = own(data, 'refreshToken');
  const epochMs = own(data, 'expiresAt');
  if (
    kind !== 'refreshed' ||
    !isShortText(accessToken) ||
    typeof refreshToken !== 'string' ||
    refreshToken.length > longestText
  ) {
    return null;
  }
  // Epoch ms, read as the SDK reads an expiry, or null; nothing else (a cloned Date neither).
  if (epochMs === null)
    return { kind, replaces, tokens: { accessToken, refreshToken, expiresAt: null } };
  const expiresAt = typeof epochMs === 'number' ? parseExpiry(epochMs) : null;
  return expiresAt instanceof Date
    ? { kind, replaces, tokens: { accessToken, refreshToken, expiresAt } }
    : null;
}

/** Settles as `promise`, or rejects with the abort reason first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject);
  });
}

import { MiniAppError, PlatformError, PlatformTimeoutError } from '../errors';
import { createRequest, readResponse, type BridgeMethod } from '../protocol';

/** What the bridge needs of `window`; a real window has it all. */
export interface BridgeWindow {
  readonly parent: { postMessage(message: unknown, targetOrigin: string): void };
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  // Structural, not the DOM's Crypto: the declarations must compile without the DOM lib.
  readonly crypto?: {
    getRandomValues?<T extends Uint8Array>(array: T): T;
    randomUUID?: () => string;
  };
}

/** The mini-app end of the request/response channel to the platform window. */
export interface Bridge {
  /** Sends a request to the platform; resolves with its result, or rejects after `waitMs`. */
  request(method: BridgeMethod, params?: Record<string, string>, waitMs?: number): Promise<unknown>;
  /** Stops listening and rejects every request still waiting. */
  destroy(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Opens the channel. Messages go to `window.parent` with exactly `targetOrigin`; a message is
 * accepted only from `window.parent`, from `targetOrigin`, in the protocol's shape, answering a
 * request still waiting. Anything else is ignored without a trace.
 */
export function createBridge(win: BridgeWindow, targetOrigin: string, timeoutMs: number): Bridge {
  const pending = new Map<string, Pending>();
  const newId = idGenerator(win.crypto);

  const onMessage = (event: MessageEvent) => {
    if (event.source !== win.parent || event.origin !== targetOrigin) return;
    const response = readResponse(event.data);
    const waiting = response && pending.get(response.id);
    if (!response || !waiting) return;
    pending.delete(response.id);
    clearTimeout(waiting.timer);
    if (response.ok) waiting.resolve(response.result);
    else {
      waiting.reject(
        new PlatformError(
          response.error.code,
          `The platform refused the request: ${response.error.message} (${response.error.code}).`,
        ),
      );
    }
  };
  win.addEventListener('message', onMessage);

  return {
    request(method, params = {}, waitMs = timeoutMs) {
      return new Promise((resolve, reject) => {
        const id = newId();
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new PlatformTimeoutError(
              'PLATFORM_TIMEOUT',
              `The platform did not answer '${method}' within ${waitMs} ms; check that the page embedding this frame runs the platform host for origin ${targetOrigin}.`,
            ),
          );
        }, waitMs);
        pending.set(id, { resolve, reject, timer });
        win.parent.postMessage(createRequest(id, method, params), targetOrigin);
      });
    },
    destroy() {
      win.removeEventListener('message', onMessage);
      for (const [id, waiting] of pending) {
        clearTimeout(waiting.timer);
        pending.delete(id);
        waiting.reject(
          new MiniAppError('DESTROYED', 'The frame was destroyed while waiting for the platform.'),
        );
      }
    },
  };
}

/** Ids that another frame cannot guess: a random UUID, or 128 random bits where that is missing. */
function idGenerator(crypto: BridgeWindow['crypto']): () => string {
  const randomUUID = crypto?.randomUUID;
  if (typeof randomUUID === 'function') return () => randomUUID.call(crypto);
  const getRandomValues = crypto?.getRandomValues;
  if (typeof getRandomValues === 'function') {
    return () =>
      Array.from(getRandomValues.call(crypto, new Uint8Array(16)), (byte) =>
        byte.toString(16).padStart(2, '0'),
      ).join('');
  }
  throw new MiniAppError(
    'UNSUPPORTED_BROWSER',
    'This browser offers no crypto.getRandomValues, which the platform bridge needs for request ids.',
  );
}

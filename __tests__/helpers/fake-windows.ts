/**
 * Stand-ins for a platform window and the mini-app iframe inside it, delivering `postMessage`
 * the way browsers do: asynchronously, as a structured clone, with the sender's `origin` and
 * `source`, and only when `targetOrigin` matches the receiver. The browser suite runs the real
 * thing; these make the bridge's edge cases quick to reach.
 */
type Listener = (event: MessageEvent) => void;
type Target = string | { targetOrigin: string };
type Handle = { postMessage(message: unknown, target: Target): void };

export interface Posted {
  message: unknown;
  targetOrigin: string;
}

class MessageListeners {
  readonly listeners = new Set<Listener>();
  add = (_type: 'message', listener: Listener) => void this.listeners.add(listener);
  remove = (_type: 'message', listener: Listener) => void this.listeners.delete(listener);
  deliver(data: unknown, origin: string, source: unknown): void {
    for (const listener of [...this.listeners])
      listener({ data, origin, source } as unknown as MessageEvent);
  }
}

export function connectedWindows(
  platformOrigin = 'https://example.aspro.cloud',
  appOrigin = 'https://app.example.com',
  referrer = `${platformOrigin}/apps/42`,
) {
  const platformListeners = new MessageListeners();
  const frameListeners = new MessageListeners();
  const toPlatform: Posted[] = [];
  const toFrame: Posted[] = [];

  function sender(
    receiver: MessageListeners,
    log: Posted[],
    receiverOrigin: string,
    senderOrigin: string,
    source: () => unknown,
  ) {
    return (message: unknown, target: Target) => {
      const targetOrigin = typeof target === 'string' ? target : target.targetOrigin;
      log.push({ message, targetOrigin });
      if (targetOrigin !== '*' && targetOrigin !== receiverOrigin) return;
      const data: unknown = structuredClone(message);
      setImmediate(() => receiver.deliver(data, senderOrigin, source()));
    };
  }

  /** `window.parent` as the mini-app sees it. */
  const parentHandle: Handle = {
    postMessage: sender(
      platformListeners,
      toPlatform,
      platformOrigin,
      appOrigin,
      () => frameHandle,
    ),
  };
  /** `iframe.contentWindow` as the platform sees it. */
  const frameHandle: Handle = {
    postMessage: sender(frameListeners, toFrame, appOrigin, platformOrigin, () => parentHandle),
  };

  return {
    /** The mini-app's `window`. */
    frameWindow: {
      parent: parentHandle,
      document: { referrer },
      location: { origin: appOrigin } as { origin: string; ancestorOrigins?: string[] },
      crypto: globalThis.crypto,
      addEventListener: frameListeners.add,
      removeEventListener: frameListeners.remove,
    },
    /** The platform's `window`. */
    platformWindow: {
      addEventListener: platformListeners.add as unknown as Window['addEventListener'],
      removeEventListener: platformListeners.remove as unknown as Window['removeEventListener'],
    },
    iframe: { contentWindow: frameHandle as unknown as Window },
    parentHandle,
    frameHandle,
    /** What the mini-app posted to the platform, and the reverse. */
    toPlatform,
    toFrame,
    frameListeners: frameListeners.listeners,
    platformListeners: platformListeners.listeners,
    /** Delivers a message to the mini-app as from `source` at `origin` (by default: the platform). */
    deliverToFrame(data: unknown, origin = platformOrigin, source: unknown = parentHandle) {
      frameListeners.deliver(data, origin, source);
    },
    /** Delivers a message to the platform as from `source` at `origin` (by default: the mini-app). */
    deliverToPlatform(data: unknown, origin = appOrigin, source: unknown = frameHandle) {
      platformListeners.deliver(data, origin, source);
    },
  };
}

/**
 * A Web Locks manager for Node 20 and 22, which have none (Node 24's would do, but tests must
 * run alike everywhere): exclusive locks granted first come, first served; a pending request
 * withdraws on its signal; `refuse` makes every request fail as Chromium does in a cross-site
 * frame without storage partitioning. The browser suite runs the real one.
 */
export class FakeLocks {
  /** Reject every request with a SecurityError. */
  refuse = false;
  /** Requests made, granted or not. */
  requests = 0;
  private readonly queues = new Map<string, (() => void)[]>();
  private readonly held = new Set<string>();

  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<unknown>,
  ): Promise<unknown> {
    this.requests += 1;
    if (this.refuse) {
      return Promise.reject(new DOMException('The request was denied.', 'SecurityError'));
    }
    const { signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const grant = () => {
        signal?.removeEventListener('abort', withdraw);
        this.held.add(name);
        // Released before the request settles, as the Web Locks standard orders it.
        const settle =
          <T>(finish: (value: T) => void) =>
          (value: T) => {
            this.release(name);
            finish(value);
          };
        Promise.resolve().then(callback).then(settle(resolve), settle(reject));
      };
      const withdraw = () => {
        const queue = this.queues.get(name) ?? [];
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', withdraw, { once: true });
      if (this.held.has(name)) {
        this.queues.set(name, [...(this.queues.get(name) ?? []), grant]);
      } else {
        grant();
      }
    });
  }

  /** Whether `name` is held, and how many wait for it. */
  state(name: string): { held: boolean; pending: number } {
    return { held: this.held.has(name), pending: this.queues.get(name)?.length ?? 0 };
  }

  private release(name: string): void {
    this.held.delete(name);
    this.queues.get(name)?.shift()?.();
  }
}

/** Installs `locks` as `navigator.locks` (or removes it, for `null`); returns the undo. */
export function installLocks(locks: FakeLocks | null): () => void {
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    value: locks ? { locks } : {},
    configurable: true,
    writable: true,
  });
  return () => {
    if (previous) Object.defineProperty(globalThis, 'navigator', previous);
    else delete (globalThis as { navigator?: unknown }).navigator;
  };
}

import { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';

/**
 * A request's own limits, applied to the time it spends waiting for a token or for its turn in
 * the rate limit's queue: its `signal`, its `cancelToken` and its `timeout`, counted from when it
 * reached the adapter. The send after the
 * wait gets only what is left of the timeout, so the request settles within it as a whole.
 */
export class RequestDeadline {
  readonly #config: InternalAxiosRequestConfig;
  readonly #isFetch: boolean;
  readonly #deadline: number;

  /**
   * @param startedAt - when the request reached the adapter, epoch ms
   * @param isFetch - the fetch adapter, whose own timeouts are always `ETIMEDOUT`
   */
  constructor(config: InternalAxiosRequestConfig, startedAt: number, isFetch = false) {
    const timeout = config.timeout ?? 0;
    this.#config = config;
    this.#isFetch = isFetch;
    this.#deadline = timeout > 0 ? startedAt + timeout : Infinity;
  }

  /** The timeout to give the adapter now: what remains, at least 1 ms, or 0 for none. */
  remainingTimeout(): number {
    if (this.#deadline === Infinity) return this.#config.timeout ?? 0;
    return Math.max(1, this.#deadline - Date.now());
  }

  /**
   * Settles as `wait` does, or rejects first as axios would: with a `CanceledError` when the
   * request is aborted or canceled, with a timeout `AxiosError` at the deadline. The wait itself
   * goes on for the other requests sharing it.
   */
  bound<T>(wait: Promise<T>): Promise<T> {
    const config = this.#config;
    const { signal, cancelToken } = config;
    const deadline = this.#deadline;
    if (!signal && !cancelToken && deadline === Infinity) return wait;
    wait.catch(() => undefined);
    const canceled = () => new CanceledError('canceled', config);
    const early =
      cancelToken?.reason ||
      (signal?.aborted ? canceled() : Date.now() >= deadline ? this.#timedOut() : undefined);
    if (early) return Promise.reject(early);

    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener?.('abort', onAbort);
        cancelToken?.unsubscribe(stop);
        settle();
      };
      const stop = (reason: unknown) => finish(() => reject(reason));
      const onAbort = () => stop(canceled());
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(() => stop(this.#timedOut()), deadline - Date.now());
      signal?.addEventListener?.('abort', onAbort);
      cancelToken?.subscribe(stop);
      wait.then((value) => finish(() => resolve(value)), stop);
    });
  }

  /** The error axios's own adapters raise when `timeout` passes. */
  #timedOut(): AxiosError {
    const { timeout, timeoutErrorMessage, transitional } = this.#config;
    return new AxiosError(
      timeoutErrorMessage || `timeout of ${timeout}ms exceeded`,
      this.#isFetch || transitional?.clarifyTimeoutError
        ? AxiosError.ETIMEDOUT
        : AxiosError.ECONNABORTED,
      this.#config,
    );
  }
}

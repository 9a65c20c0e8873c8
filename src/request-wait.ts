import { AxiosError, CanceledError, type Cancel, type InternalAxiosRequestConfig } from 'axios';

/**
 * A request's own limits, applied to the time it spends waiting for a token: its `signal`, its
 * `cancelToken` and its `timeout`, counted from when it reached the adapter. The send after the
 * wait gets only what is left of the timeout, so the request settles within it as a whole.
 */
export class RequestDeadline {
  private readonly deadline: number;

  /**
   * @param startedAt - when the request reached the adapter, epoch ms
   * @param isFetch - the fetch adapter, whose own timeouts are always `ETIMEDOUT`
   */
  constructor(
    private readonly config: InternalAxiosRequestConfig,
    startedAt: number,
    private readonly isFetch = false,
  ) {
    const timeout = config.timeout ?? 0;
    this.deadline = timeout > 0 ? startedAt + timeout : Infinity;
  }

  /** The timeout to give the adapter now: what remains, at least 1 ms, or 0 for none. */
  remainingTimeout(): number {
    if (this.deadline === Infinity) return this.config.timeout ?? 0;
    return Math.max(1, this.deadline - Date.now());
  }

  /**
   * Settles as `wait` does, or rejects first as axios would: with a `CanceledError` when the
   * request is aborted or canceled, with a timeout `AxiosError` at the deadline. The wait itself
   * goes on for the other requests sharing it.
   */
  bound<T>(wait: Promise<T>): Promise<T> {
    const { signal, cancelToken } = this.config;
    if (!signal && !cancelToken && this.deadline === Infinity) return wait;
    wait.catch(() => undefined);
    const early = this.reasonToStop();
    if (early) return Promise.reject(early);

    return new Promise<T>((resolve, reject) => {
      const stop = (reason: unknown) => finish(() => reject(reason));
      const onAbort = () => stop(this.canceled());
      const onCancel = (reason: Cancel) => stop(reason);
      const timer =
        this.deadline === Infinity
          ? undefined
          : setTimeout(() => stop(this.timedOut()), this.deadline - Date.now());
      signal?.addEventListener?.('abort', onAbort);
      cancelToken?.subscribe(onCancel);
      function finish(settle: () => void): void {
        clearTimeout(timer);
        signal?.removeEventListener?.('abort', onAbort);
        cancelToken?.unsubscribe(onCancel);
        settle();
      }
      wait.then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  private reasonToStop(): unknown {
    if (this.config.cancelToken?.reason) return this.config.cancelToken.reason;
    if (this.config.signal?.aborted) return this.canceled();
    if (Date.now() >= this.deadline) return this.timedOut();
    return undefined;
  }

  private canceled(): AxiosError {
    return new CanceledError('canceled while waiting for the OAuth2 refresh', this.config);
  }

  /** The error axios's own adapters raise when `timeout` passes. */
  private timedOut(): AxiosError {
    const { timeout, timeoutErrorMessage, transitional } = this.config;
    return new AxiosError(
      timeoutErrorMessage || `timeout of ${timeout}ms exceeded`,
      this.isFetch || transitional?.clarifyTimeoutError
        ? AxiosError.ETIMEDOUT
        : AxiosError.ECONNABORTED,
      this.config,
    );
  }
}

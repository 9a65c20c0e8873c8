import type { Frame } from './frame/frame';
import type { Rest } from './frame/rest';
import type { AxiosInstance } from 'axios';
import type { OAuth2 } from './oauth2';
import type { Pipeline } from './pipeline';
import type { RateLimiter } from './rate-limiter';

declare const __SDK_VERSION__: string | undefined;

/** The package version, set by the build; tests run the sources. */
const version = typeof __SDK_VERSION__ === 'string' ? __SDK_VERSION__ : 'source';

/** What must exist once per page or process, however many copies of this SDK are loaded. */
export interface Singletons {
  /** Every OAuth2 made by a copy of this version, for `instanceof`. */
  oauth2Instances: WeakSet<object>;
  oauth2: OAuth2 | null;
  frame: Frame | null;
  rest: Rest | null;
  rateLimiter: RateLimiter | null;
  /** The plugins attached to each axios instance. */
  pipelines: WeakMap<AxiosInstance, Pipeline>;
  startingFrame: Promise<Frame> | null;
}

/**
 * A key of this exact SDK version in the global symbol registry. Copies of one version (its ESM
 * and CJS builds, a bundle beside the script tag) find the same key; another version, whose
 * internals may differ, gets its own.
 */
export function sdkKey(name: string): symbol {
  return Symbol.for(`@aspro-cloud/miniapp-jssdk@${version}/${name}`);
}

/** The singletons of this SDK version, kept on `globalThis`. */
export function singletons(): Singletons {
  const global = globalThis as { [key: symbol]: Singletons | undefined };
  return (global[sdkKey('singletons')] ??= {
    oauth2Instances: new WeakSet(),
    oauth2: null,
    frame: null,
    rest: null,
    rateLimiter: null,
    pipelines: new WeakMap(),
    startingFrame: null,
  });
}

import { FrameInitializationError } from '../errors';
import { httpOrigin } from '../http-origin';

/** What finding the platform's origin needs of `window`. */
export interface OriginSources {
  readonly document?: { readonly referrer: string };
  readonly location?: { readonly origin: string; readonly ancestorOrigins?: ArrayLike<string> };
}

/**
 * The origin of the platform window, "calculated automatically": `explicit` if given, else the
 * origin of `document.referrer`, else `location.ancestorOrigins[0]`. A referrer on the frame's
 * own origin is skipped: it comes from navigating inside the mini-app, not from the platform.
 * @throws {@link FrameInitializationError} when none can be found, rather than guessing.
 */
export function resolveTargetOrigin(win: OriginSources, explicit?: string): string {
  if (explicit !== undefined) {
    const origin = httpOrigin(explicit);
    if (!origin || explicit === '*') {
      throw new TypeError(
        `FrameParams.targetOrigin must be the platform's exact origin, such as 'https://example.aspro.cloud'; got ${JSON.stringify(explicit)}.`,
      );
    }
    return origin;
  }
  const ownOrigin = win.location?.origin;
  const fromReferrer = httpOrigin(win.document?.referrer ?? '');
  if (fromReferrer && fromReferrer !== ownOrigin) return fromReferrer;
  const ancestors = win.location?.ancestorOrigins;
  const fromAncestors = ancestors && ancestors.length > 0 ? httpOrigin(ancestors[0]) : null;
  if (fromAncestors) return fromAncestors;
  throw new FrameInitializationError(
    'NO_TARGET_ORIGIN',
    "Cannot tell the platform's origin: there is no referrer and no location.ancestorOrigins. Pass it as App.initializeFrame({ targetOrigin: 'https://…' }).",
  );
}

/** The origin of an absolute `http:` or `https:` URL, or `null` for anything else. */
export function httpOrigin(url: string): string | null {
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

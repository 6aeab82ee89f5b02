/** Methods that change nothing; every other one must come from the dashboard's own origin. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestHeaders {
  [name: string]: string | string[] | undefined;
}

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The CSRF check of a request: a browser sends Sec-Fetch-Site and Origin on every cross-site POST,
 * so a mutating request that names another site in either is refused. A request with neither is not
 * from a browser page (curl, a script holding the credentials) and cannot be forged by one.
 */
export function crossSiteReason(method: string, headers: RequestHeaders): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = one(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = one(headers['origin']);
  if (origin !== undefined) {
    const host = one(headers['x-forwarded-host']) ?? one(headers['host']);
    let originHost: string | null = null;
    try {
      originHost = origin === 'null' ? null : new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (originHost === null || originHost !== host) return `cross-origin request refused (Origin: ${origin})`;
  }
  return null;
}

export const isMutating = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

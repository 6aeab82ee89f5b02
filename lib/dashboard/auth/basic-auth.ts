import { createHash, timingSafeEqual } from 'node:crypto';
import type { DashboardBasicAuth } from '../dashboard-options.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether an Authorization header carries this account. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or the first wrong byte of what was sent.
 */
export function basicAuthMatches(header: string | undefined, account: DashboardBasicAuth): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  const sent = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  const expected = `${account.username}:${account.password}`;
  // Evaluated in full on every request: no early exit on a missing header.
  return timingSafeEqual(digest(sent), digest(expected)) && match !== null;
}

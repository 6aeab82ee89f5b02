import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature header's value: `sha256=` and the hex HMAC-SHA256 of `${timestamp}.${body}` under the secret. */
export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers: whether `signature` (the X-ZapJobs-Signature header) signs this timestamp and raw
 * body, compared in constant time. Check the timestamp's age as well (say, under 5 minutes), so an
 * old delivery cannot be replayed.
 */
export function verifyWebhookSignature(secret: string, timestamp: number | string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(String(signature));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

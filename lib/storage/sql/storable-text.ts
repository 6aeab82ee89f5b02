/**
 * Text as every backend can store it: PostgreSQL's text columns refuse the NUL character (and one
 * such line would fail the whole batch it is written in), so NUL becomes U+FFFD, the replacement
 * character, in messages, log lines and error details. These are read by people; nothing parses them.
 */
export function storableText<T extends string | null | undefined>(value: T): T {
  return (typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
}

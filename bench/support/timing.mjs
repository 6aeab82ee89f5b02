// Small numeric helpers shared by the orchestrator and the child processes.

/**
 * Wall-clock time in milliseconds with sub-millisecond resolution. Every process of a run uses it,
 * so a time taken in a producer process and one taken in a worker process can be subtracted
 * (both derive from the same system clock; Date.now() alone would round to whole milliseconds).
 */
export function epochNow() {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile (p in 0..100) of a list of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Contender order for repetition `rep`: rotated, so that no contender always runs first or last. */
export function rotation(list, rep) {
  const k = rep % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** process.resourceUsage().maxRSS is in kilobytes (KiB on Linux); this returns MiB. */
export function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;
}

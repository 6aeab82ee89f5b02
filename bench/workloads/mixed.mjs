// W6: W2 at concurrency 16 while another process enqueues at a steady rate: the worker competes
// with a second writer for SQLite's one write lock (for BullMQ, for Redis).
import { percentile, median, rotation } from '../support/timing.mjs';
import { drain } from './steps.mjs';

export async function w6(bench) {
  const { drainJobs: n, mixed } = bench.plan;
  const table = bench.results.table({
    id: 'W6',
    title: `W6: W2 at concurrency 16 (${n.toLocaleString('en')} queued) while another process enqueues ${mixed.perSecond.toLocaleString('en')} jobs/s for ${mixed.seconds} s`,
    unit: 'jobs/s',
    higherIsBetter: true,
    extras: [
      { key: 'p95', label: 'p95 wait (ms)' },
      { key: 'p50', label: 'median wait (ms)' },
      { key: 'rate', label: 'enqueued (jobs/s)' },
    ],
  });
  table.note(
    `jobs/s: all ${n.toLocaleString('en')} + ${(mixed.perSecond * mixed.seconds).toLocaleString('en')} jobs over the time from the worker's spawn until the last is completed. ` +
      'Wait: from just before the enqueue call to the start of the handler, for the jobs the second process enqueued while the worker ran ' +
      '(the handler subtracts the enqueue time carried in the job\'s payload, the same way for every contender). ' +
      '"enqueued" is the rate the producer achieved (one awaited enqueue at a time).',
  );
  const tableWaits = {}; // key -> p95 per repetition, from ZapJobs' runs table
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const key of rotation(bench.keys, rep)) {
      await bench.measure(table, key, async () => {
        const result = await drain(bench.ctx, bench.contenders.get(key), { jobs: n, concurrency: 16, rate: mixed });
        table.add(key, result.jobsPerSecond, {
          p95: percentile(result.waits, 95),
          p50: median(result.waits),
          rate: (result.production.sent / result.production.ms) * 1000,
        });
        if (key.startsWith('zapjobs') && result.tableWaits) (tableWaits[key] ??= []).push(percentile(result.tableWaits, 95));
        bench.log(table, key, rep);
      });
    }
  }
  for (const [key, p95s] of Object.entries(tableWaits)) {
    table.note(
      `Cross-check from the runs table of ${bench.labels[key]} (started_at - created_at; started_at is the claim): ` +
        `p95 ${median(p95s).toFixed(0)} ms (median of the repetitions).`,
    );
  }
}

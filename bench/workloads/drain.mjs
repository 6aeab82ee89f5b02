// W2, W4 and W5: a queue filled beforehand, drained by one worker process started for it.
import { rotation } from '../support/timing.mjs';
import { drain } from './steps.mjs';

const DRAIN_EXTRAS = [
  { key: 'steady', label: 'from first job (jobs/s)' },
  { key: 'startup', label: 'start-up (ms)' },
  { key: 'rss', label: 'worker peak RSS (MB)' },
];

function record(table, key, result) {
  table.add(key, result.jobsPerSecond, { steady: result.steadyJobsPerSecond, startup: result.startupMs, rss: result.peakRssMb });
}

const DRAIN_NOTE =
  'Timed from the spawn of the worker process until the store shows every job completed (polled every 10 ms), ' +
  'so the figure includes the process start-up (loading modules, booting Nest for ZapJobs). ' +
  '"From first job" counts from the first handler call instead; "start-up" is spawn to first handler call.';

export async function w2(bench) {
  const n = bench.plan.drainJobs;
  const tables = bench.plan.drainConcurrency.map((concurrency) =>
    bench.results.table({
      id: `W2-c${concurrency}`,
      title: `W2: ${n.toLocaleString('en')} jobs queued, one worker process at concurrency ${concurrency}`,
      unit: 'jobs/s',
      higherIsBetter: true,
      extras: DRAIN_EXTRAS,
    }),
  );
  tables[0].note(DRAIN_NOTE);
  tables[0].note('plainjob runs one job per worker: concurrency C is C `defineWorker` loops on one connection.');
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const [i, concurrency] of bench.plan.drainConcurrency.entries()) {
      for (const key of rotation(bench.keys, rep)) {
        await bench.measure(tables[i], key, async () => {
          record(tables[i], key, await drain(bench.ctx, bench.contenders.get(key), { jobs: n, concurrency }));
          bench.log(tables[i], key, rep);
        });
      }
    }
  }
}

/** Contenders whose store keeps finished jobs, so that W4 means something for them. */
const HISTORY_NA = {
  liteque: 'deletes a task when it completes: its table never holds finished jobs',
  bullmq: 'keeps finished jobs in their own Redis sorted set, which a worker never reads when it fetches the next job',
  'graphile-worker': 'deletes a job when it completes: its table never holds finished jobs',
  'graphile-worker-batched': 'deletes a job when it completes: its table never holds finished jobs',
};

export async function w4(bench) {
  const n = bench.plan.drainJobs;
  const keys = bench.keys.filter((key) => !HISTORY_NA[key]);
  for (const { history, repetitions } of bench.plan.historySizes) {
    const table = bench.results.table({
      id: `W4-${history}`,
      title: `W4: W2 at concurrency 16 with ${history.toLocaleString('en')} finished jobs already in the table`,
      unit: 'jobs/s',
      higherIsBetter: true,
      extras: DRAIN_EXTRAS,
      baseTable: 'W2-c16',
    });
    for (const key of bench.keys) if (HISTORY_NA[key]) table.na(key, HISTORY_NA[key]);
    table.note(
      'Finished jobs inserted with raw SQL in one transaction before the measurements (ZapJobs and raw: status completed in zj_runs; ' +
        'plainjob: status done), all from the last day so that no retention cleanup deletes them; each measurement works on a copy.',
    );
    table.note("The raw rows show what the same table costs without any queue library: compare their ÷ W2 columns with ZapJobs'.");
    if (repetitions !== bench.plan.repetitions) table.note(`${repetitions} repetitions instead of ${bench.plan.repetitions}, to keep the full run short.`);
    // The history is built once per contender, outside any timing (1,000,000 rows take a while).
    for (const key of keys) {
      await bench.measure(table, key, async () => {
        const started = performance.now();
        const contender = bench.contenders.get(key);
        await contender.destroyTarget(await contender.createTarget(bench.ctx, { history }));
        bench.progress(`  ${key}: ${history.toLocaleString('en')} finished jobs ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      });
    }
    for (let rep = 0; rep < repetitions; rep++) {
      for (const key of rotation(keys, rep)) {
        await bench.measure(table, key, async () => {
          record(table, key, await drain(bench.ctx, bench.contenders.get(key), { jobs: n, concurrency: 16, history }));
          bench.log(table, key, rep, repetitions);
        });
      }
    }
  }
}

const MEMORY_NA = {
  liteque:
    'not run: each dequeue reads every queued row of the queue and sorts them (SEARCH tasks USING INDEX tasks_queue_idx, ' +
    'USE TEMP B-TREE FOR ORDER BY), so draining 100,000 would take tens of minutes (see W2: fewer jobs/s with more queued)',
  'raw-1': 'left out to keep the run short: the same process as raw 100 jobs/txn, which stands for the baseline here',
  'graphile-worker': 'not run (left out of W5 to keep the run short)',
  'graphile-worker-batched': 'not run (left out of W5 to keep the run short)',
};

export async function w5(bench) {
  const n = bench.plan.memoryJobs;
  const keys = bench.keys.filter((key) => !MEMORY_NA[key]);
  const table = bench.results.table({
    id: 'W5',
    title: `W5: W2 at concurrency 16 with ${n.toLocaleString('en')} jobs queued: peak RSS of the worker process`,
    unit: 'MB',
    higherIsBetter: false,
    extras: [{ key: 'rate', label: 'jobs/s' }, { key: 'startup', label: 'start-up (ms)' }],
  });
  for (const key of bench.keys) if (MEMORY_NA[key]) table.na(key, MEMORY_NA[key]);
  table.note('Peak RSS: `process.resourceUsage().maxRSS` of the worker process when it stops (BullMQ: the Node process only, not redis-server).');
  const above = () => {
    const bare = table.value('bare-app');
    if (!Number.isFinite(bare)) return;
    // The bare app is on SQLite: the SQLite rows are read against it.
    const rows = ['zapjobs', 'zapjobs-prefetch'].filter((k) => Number.isFinite(table.value(k)));
    table.note(`Above the bare Nest + TypeORM app (${Math.round(bare)} MB): ${rows.map((k) => `${bench.labels[k]} +${Math.round(table.value(k) - bare)} MB`).join(', ')}.`);
  };
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const key of rotation(keys, rep)) {
      await bench.measure(table, key, async () => {
        const result = await drain(bench.ctx, bench.contenders.get(key), { jobs: n, concurrency: 16 });
        // The bare app runs no job: no rate.
        table.add(key, result.peakRssMb, { rate: key === 'bare-app' ? NaN : result.jobsPerSecond, startup: result.startupMs });
        bench.log(table, key, rep);
      });
    }
  }
  above();
}

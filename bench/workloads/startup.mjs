// W7: one job queued; start the app; the time to its handler: from the spawn of the process, and
// (for ZapJobs) from the call that boots the Nest application context.
import { rotation } from '../support/timing.mjs';
import { drain } from './steps.mjs';

/** Start-ups per contender and repetition: one process start is a noisy sample. */
const SAMPLES = 5;

export async function w7(bench) {
  const table = bench.results.table({
    id: 'W7',
    title: 'W7: one job queued; a worker process started: time to its handler',
    unit: 'ms from spawn (median)',
    higherIsBetter: false,
    extras: [{ key: 'boot', label: 'ms from createApplicationContext' }],
  });
  table.note(
    'From spawn: the whole process start, module imports included (for ZapJobs, @nestjs/core and typeorm are most of it). ' +
      'From createApplicationContext: ZapJobs only, from the call that boots the app (its DataSource, migrations, discovery, workers) to the handler.',
  );
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const key of rotation(bench.keys, rep)) {
      await bench.measure(table, key, async () => {
        for (let i = 0; i < SAMPLES; i++) {
          const result = await drain(bench.ctx, bench.contenders.get(key), { jobs: 1, concurrency: 1 });
          table.add(key, result.startupMs, result.bootToFirstMs === null ? {} : { boot: result.bootToFirstMs });
        }
        bench.log(table, key, rep);
      });
    }
  }
}

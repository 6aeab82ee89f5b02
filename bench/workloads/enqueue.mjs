// W1 and W1b: how fast a producer process enqueues, one awaited call at a time and in bulk.
import { rotation } from '../support/timing.mjs';
import { CHUNK, killAll, ready, withTarget } from './steps.mjs';

async function enqueueOnce(bench, key, command) {
  const contender = bench.contenders.get(key);
  return withTarget(bench.ctx, contender, {}, async (target) => {
    const children = [];
    try {
      const producer = await ready('child-producer.mjs', { contender: key, target }, children);
      const result = await producer.request(command);
      const closed = await producer.request({ cmd: 'close' });
      return { ...result, peakRssMb: closed.peakRssMb };
    } finally {
      killAll(children);
    }
  });
}

export async function w1(bench) {
  const n = bench.plan.enqueueJobs;
  const table = bench.results.table({
    id: 'W1',
    title: `W1: enqueue ${n.toLocaleString('en')} jobs one at a time, each awaited before the next`,
    unit: 'jobs/s',
    higherIsBetter: true,
    extras: [{ key: 'rss', label: 'producer peak RSS (MB)' }],
    summaryNote: "both raw rows run the same code here: the gap between them is this run's noise",
  });
  table.note('Timed inside the producer process, from its first enqueue call to the return of its last (start-up not included).');
  table.note('Both raw rows insert one job per transaction here (the batch size applies to the worker): the gap between them shows the noise of the run.');
  table.note('Likewise both graphile-worker rows run the same producer (`makeWorkerUtils().addJob`); batching applies to its worker only.');
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const key of rotation(bench.keys, rep)) {
      await bench.measure(table, key, async () => {
        const { ms, peakRssMb } = await enqueueOnce(bench, key, { cmd: 'each', n });
        table.add(key, (n / ms) * 1000, { rss: peakRssMb });
        bench.log(table, key, rep);
      });
    }
  }
}

export async function w1b(bench) {
  const n = bench.plan.enqueueJobs;
  const table = bench.results.table({
    id: 'W1b',
    title: `W1b: enqueue ${n.toLocaleString('en')} jobs with the bulk API, ${CHUNK.toLocaleString('en')} per call`,
    unit: 'jobs/s',
    higherIsBetter: true,
    extras: [{ key: 'rss', label: 'producer peak RSS (MB)' }],
  });
  table.note(
    'Bulk APIs: ZapJobs `enqueueMany`, plainjob `addMany`, BullMQ `addBulk`, graphile-worker `addJobs` (both of its rows run the same code); ' +
      'raw SQLite: one transaction of 1,000 prepared INSERTs per call.',
  );
  for (let rep = 0; rep < bench.plan.repetitions; rep++) {
    for (const key of rotation(bench.keys, rep)) {
      await bench.measure(table, key, async () => {
        const result = await enqueueOnce(bench, key, { cmd: 'many', n, chunk: CHUNK });
        if (result.unsupported) {
          table.na(key, key === 'liteque' ? 'no bulk enqueue API' : 'no bulk path (one job per transaction by definition; see W1)');
          return;
        }
        table.add(key, (n / result.ms) * 1000, { rss: result.peakRssMb });
        bench.log(table, key, rep);
      });
    }
  }
}

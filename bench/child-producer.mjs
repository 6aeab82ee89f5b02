// A producer process: enqueues into one contender's target the way an application would.
// argv[2]: { contender, target }. Sends 'ready' once connected; then serves:
//   each {n}                  W1: n enqueues, each awaited before the next; reply { ms }
//   many {n, chunk}           W1b: the bulk API in chunks; reply { ms } (or { unsupported })
//   probe {i}                 W3: one job, reply { t } taken just before the enqueue call
//   rate {perSecond, seconds} W6: paced enqueues, one at a time; reply { sent, ms }
//   close                     reply with this process's peak RSS and exit
import { childConfig, serveParent } from './support/children.mjs';
import { epochNow, peakRssMb, sleep } from './support/timing.mjs';
import { loadContender } from './contenders/index.mjs';

const config = childConfig();
const contender = await loadContender(config.contender);
const producer = await contender.openProducer(config.target);

async function inChunks(n, chunk, data) {
  for (let from = 0; from < n; from += chunk) {
    const list = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) list.push(data(i));
    await producer.enqueueMany(list);
  }
}

serveParent({
  async each({ n }) {
    const start = performance.now();
    for (let i = 0; i < n; i++) await producer.enqueue({ i });
    return { ms: performance.now() - start };
  },
  async many({ n, chunk }) {
    if (!producer.enqueueMany) return { unsupported: true };
    const start = performance.now();
    await inChunks(n, chunk, (i) => ({ i }));
    return { ms: performance.now() - start };
  },
  async probe({ i }) {
    const t = epochNow();
    await producer.enqueue({ i, t, probe: true });
    return { t };
  },
  async rate({ perSecond, seconds }) {
    const total = Math.round(perSecond * seconds);
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSecond));
      for (; sent < due; sent++) await producer.enqueue({ i: sent, t: epochNow(), live: true });
      await sleep(2);
    }
    return { sent, ms: performance.now() - start };
  },
  async close() {
    await producer.close();
    return { peakRssMb: peakRssMb(), exit: true };
  },
});
process.send({ type: 'ready' });

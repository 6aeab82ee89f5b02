// The benchmark's orchestrator: `node bench/run.mjs [--quick] [--only W1,W3] [--contenders zapjobs,plainjob] [--out FILE] [--scale 0.1]
// [--baseline DIR] [--repetitions N]` (normally through `npm run bench`, which builds dist/ and installs bench/node_modules first).
//
// --baseline DIR: DIR is another checkout's built dist/ (say of the commit before a change). ZapJobs
// then also runs on that build, as the rows "ZapJobs (SQLite) @ baseline" and, when a PostgreSQL
// server is given, "ZapJobs (PostgreSQL) @ baseline", interleaved with the others in each workload:
// before and after side by side in one run on the same machine. DIR is copied like dist/ is.
// Example: git clone -q . /tmp/before && git -C /tmp/before checkout -q REV && ln -s "$PWD/node_modules"
// /tmp/before/node_modules && (cd /tmp/before && npx tsc -p tsconfig.build.json) && npm run bench -- --quick --baseline /tmp/before/dist
//
// It prepares the stores, starts every measured worker and producer as a child process, polls
// the stores for completion, and writes the report (docs/benchmarks.md by default). The
// workloads are W1-W7 of the team's benchmark brief; each runs every contender in rotation,
// repetition after repetition, so that a noisy moment of the shared machine hits all of them.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { BASELINE_KEYS, CONTENDER_KEYS, loadContender, POSTGRES_KEYS } from './contenders/index.mjs';
import { installedVersion, machineInfo, rootDir } from './support/machine.mjs';
import { redisServerVersion, startRedis } from './support/redis.mjs';
import { renderDocument, renderResults } from './support/report.mjs';
import { Results } from './support/results.mjs';
import { w1, w1b } from './workloads/enqueue.mjs';
import { w2, w4, w5 } from './workloads/drain.mjs';
import { w3 } from './workloads/latency.mjs';
import { w6 } from './workloads/mixed.mjs';
import { w7 } from './workloads/startup.mjs';

const PLANS = {
  full: {
    repetitions: 3,
    expectedMinutes: 15,
    postgresMinutes: 10, // more when ZapJobs on PostgreSQL and graphile-worker take part
    enqueueJobs: 10_000,
    drainJobs: 10_000,
    drainConcurrency: [1, 16],
    latencySamples: 50,
    historySizes: [
      { history: 100_000, repetitions: 3 },
      // The largest case keeps two repetitions, to hold the full run near a quarter of an hour.
      { history: 1_000_000, repetitions: 2 },
    ],
    memoryJobs: 100_000,
    mixed: { perSecond: 1000, seconds: 5 },
    workloads: { W1: w1, W1b: w1b, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6, W7: w7 },
  },
  // A check that everything runs, in under a minute: one repetition, so not figures to quote.
  quick: {
    repetitions: 1,
    enqueueJobs: 2_000,
    drainJobs: 2_000,
    drainConcurrency: [1, 16],
    latencySamples: 3,
    workloads: { W1: w1, W1b: w1b, W2: w2, W3: w3 },
  },
};

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const mode = args.includes('--quick') ? 'quick' : 'full';
const plan = { ...PLANS[mode] };
// --scale 0.1: every job count times 0.1 (for trying changes to the bench itself; not for figures).
const scale = Number(option('--scale') ?? 1);
// --repetitions 3: each workload that many times (quick mode's single repetition gives no median).
if (option('--repetitions')) plan.repetitions = Math.max(1, Number(option('--repetitions')));
if (scale !== 1) {
  for (const name of ['enqueueJobs', 'drainJobs', 'memoryJobs']) if (plan[name]) plan[name] = Math.max(100, Math.round(plan[name] * scale));
  plan.historySizes = plan.historySizes?.map((h) => ({ ...h, history: Math.round(h.history * scale) }));
}
const out = option('--out') ?? join(rootDir, 'docs', 'benchmarks.md');
const only = option('--only')?.split(',');
// A workload of another plan would silently run nothing (`--quick --only W7`): say so instead.
const unplanned = only?.filter((id) => !plan.workloads[id]) ?? [];
if (unplanned.length) {
  const hint = mode === 'quick' && unplanned.every((id) => PLANS.full.workloads[id]) ? '; run it without --quick (--repetitions 1 for a single pass)' : '';
  console.error(`--only ${unplanned.join(',')}: not in the ${mode} plan (${Object.keys(plan.workloads).join(', ')})${hint}`);
  process.exit(1);
}
// Aliases: zapjobs-postgres for zapjobs-pg.
const ALIASES = { 'zapjobs-postgres': 'zapjobs-pg' };
const baselineDir = option('--baseline') && resolve(option('--baseline'));
// The baseline rows come with --baseline, for each ZapJobs contender that runs.
let wanted = option('--contenders')?.split(',').map((key) => ALIASES[key] ?? key) ?? CONTENDER_KEYS.filter((key) => !BASELINE_KEYS[key]);
if (baselineDir) wanted = [...wanted, ...Object.keys(BASELINE_KEYS).filter((key) => wanted.includes(BASELINE_KEYS[key]) && !wanted.includes(key))];

// The children import a copy of dist/ taken now: the library may be rebuilt during a long run
// (npm test rebuilds it), and a run must measure one build. The copy sits inside the checkout,
// in the git-ignored .bench-tmp/, so that its imports resolve to the root node_modules.
const distIndex = join(rootDir, 'dist', 'index.js');
if (!existsSync(distIndex)) {
  console.error(`${distIndex} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
  process.exit(1);
}
const distCopy = join(rootDir, '.bench-tmp', `dist-${process.pid}`);
cpSync(join(rootDir, 'dist'), distCopy, { recursive: true });
process.env.ZAPJOBS_BENCH_DIST = pathToFileURL(join(distCopy, 'index.js')).href;
// The baseline build, copied the same way (its own node_modules, if any, would not be the one measured).
const baselineCopy = join(rootDir, '.bench-tmp', `baseline-${process.pid}`);
if (baselineDir) {
  if (!existsSync(join(baselineDir, 'index.js'))) {
    console.error(`--baseline ${baselineDir}: no index.js there; give a built dist/ folder (npx tsc -p tsconfig.build.json in that checkout)`);
    process.exit(1);
  }
  cpSync(baselineDir, baselineCopy, { recursive: true });
  process.env.ZAPJOBS_BENCH_BASELINE_DIST = pathToFileURL(join(baselineCopy, 'index.js')).href;
  process.env.ZAPJOBS_BENCH_BASELINE_REV = baselineRevision(baselineDir);
}

/** The baseline's git revision (of the checkout DIR sits in), else its path. */
function baselineRevision(dir) {
  try {
    const rev = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${rev.length > 60 ? `${rev.slice(0, 57)}...` : rev}, ${dir}`;
  } catch {
    return dir;
  }
}
// Taken now, with the copy: the revision that was built, not the one at the end of a long run.
const machine = machineInfo();

const startedAt = new Date();
const tmpDir = mkdtempSync(join(tmpdir(), 'zapjobs-bench-'));
let fileCount = 0;
const ctx = { tmpDir, newFile: (name) => join(tmpDir, `${name}-${++fileCount}.db`), redis: null };

async function cleanUp() {
  await ctx.redis?.stop();
  rmSync(tmpDir, { recursive: true, force: true });
  rmSync(distCopy, { recursive: true, force: true });
  rmSync(baselineCopy, { recursive: true, force: true });
  try {
    rmdirSync(dirname(distCopy)); // .bench-tmp/ itself, unless something else uses it
  } catch {
    // not empty: leave it
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping the bench`);
    await cleanUp();
    process.exit(130);
  });
}

// Which contenders can run here. A peer that cannot is left out with the reason, never fatal.
const contenders = new Map();
const skipped = {};
for (const key of wanted) {
  if (POSTGRES_KEYS.includes(key) && !(process.env.ZAPJOBS_BENCH_PG_URL ?? process.env.ZAPJOBS_TEST_PG_URL)) {
    skipped[key] = 'no PostgreSQL server given: set ZAPJOBS_BENCH_PG_URL (`eval "$(bash .ci/postgres.sh start)"` starts one and sets ZAPJOBS_TEST_PG_URL)';
    continue;
  }
  if (key === 'bullmq') {
    const version = redisServerVersion();
    if (!version) {
      skipped.bullmq = 'no `redis-server` binary on the PATH (Debian: `apt-get install redis-server`)';
      continue;
    }
    try {
      ctx.redis = await startRedis();
    } catch (error) {
      skipped.bullmq = `redis-server did not start: ${error.message}`;
      continue;
    }
  }
  try {
    contenders.set(key, await loadContender(key));
  } catch (error) {
    skipped[key] = `could not be loaded: ${error.message.split('\n')[0]}`;
  }
}
const keys = CONTENDER_KEYS.filter((key) => contenders.has(key));
const labels = Object.fromEntries([...contenders].map(([key, c]) => [key, c.label]));
labels.bullmq ??= 'BullMQ (Redis)';
labels.liteque ??= 'liteque';
labels.plainjob ??= 'plainjob';
labels['zapjobs-pg'] ??= 'ZapJobs (PostgreSQL)';
labels['zapjobs-pg-prefetch'] ??= 'ZapJobs (PostgreSQL), prefetch';
labels['graphile-worker'] ??= 'graphile-worker (PostgreSQL)';
labels['graphile-worker-batched'] ??= 'graphile-worker, batched (PostgreSQL)';

const results = new Results();
const bench = {
  ctx,
  plan,
  keys,
  labels,
  contenders,
  results,
  progress: (line) => console.log(line),
  /**
   * Runs one measurement of `key` for `tables`. A contender that fails is marked n/a with the
   * reason, in these tables, and the run goes on without it: a long run never dies of one peer.
   */
  async measure(tables, key, fn) {
    tables = [tables].flat();
    if (tables.some((table) => table.rows.get(key)?.na)) return;
    try {
      await fn();
    } catch (error) {
      const reason = `failed: ${String(error?.message ?? error).split('\n')[0]}`;
      for (const table of tables) table.na(key, reason);
      console.log(`  [${tables[0].id}] ${labels[key]}: ${reason}`);
    }
  },
  /** One line per measurement, so that a long run shows where it is. */
  log(table, key, rep, repetitions = plan.repetitions) {
    const row = table.rows.get(key);
    // W3 rounds add many samples: show the median so far; elsewhere the repetition's figure.
    const last = table.id.startsWith('W3') ? table.value(key) : row.samples.at(-1);
    const extras = table.extras
      .map((e) => [e.label, row.extras[e.key]?.at(-1)])
      .filter(([, v]) => Number.isFinite(v))
      .map(([label, v]) => `${label} ${Math.round(v).toLocaleString('en')}`);
    console.log(
      `  [${table.id}] ${rep + 1}/${repetitions} ${labels[key]}: ${last.toLocaleString('en', { maximumFractionDigits: table.digits ?? 0 })} ${table.unit}` +
        (extras.length ? ` (${extras.join(', ')})` : ''),
    );
  },
};

console.log(`ZapJobs bench, ${mode} mode: ${keys.map((k) => labels[k]).join(', ')}`);
for (const [key, why] of Object.entries(skipped)) console.log(`  left out: ${key}: ${why}`);
console.log(`  databases in ${tmpDir}`);

try {
  for (const [id, workload] of Object.entries(plan.workloads)) {
    if (only && !only.includes(id)) continue;
    const started = performance.now();
    console.log(`${id}`);
    // A variant that means something in some workloads only (contender.workloads) sits out the others.
    await workload({ ...bench, keys: keys.filter((key) => contenders.get(key).workloads?.includes(id) ?? true) });
    console.log(`${id} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
} finally {
  await cleanUp();
}

const memory = new Database(':memory:');
const sqliteVersion = memory.prepare('SELECT sqlite_version()').pluck().get();
memory.close();
const versions = {};
for (const contender of contenders.values()) Object.assign(versions, await contender.versions());
if (contenders.has('bullmq')) versions['redis-server'] = redisServerVersion();
for (const name of ['plainjob', 'liteque', 'bullmq', 'ioredis', 'graphile-worker']) versions[name] ??= installedVersion(name);

const context = {
  results,
  keys,
  labels,
  skipped,
  mode,
  plan: { ...plan, full: PLANS.full },
  startedAt,
  durationS: (Date.now() - startedAt.getTime()) / 1000,
  machine,
  versions,
  sqliteVersion,
  tmpDir,
  describe: Object.fromEntries([...contenders].map(([key, c]) => [key, c.description])),
};
console.log(`\n${renderResults(context)}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderDocument(context));
console.log(`Report written to ${out} (${mode} mode, ${Math.round(context.durationS)} s)`);

// Turns the results into the markdown of docs/benchmarks.md (and the tables printed at the end).

const fmtInt = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en') : '—');
const fmt = (v, digits) =>
  !Number.isFinite(v) ? '—' : digits === 0 ? fmtInt(v) : v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '—');

/**
 * "2.1× faster than plainjob" / "1.4× slower than ..." / "1.3× less memory than ...": the way
 * round a reader expects, whichever direction is better for the figure.
 */
function comparison(table, zapjobs, other, name = '') {
  if (!Number.isFinite(zapjobs) || !Number.isFinite(other) || zapjobs === 0 || other === 0) return null;
  const [better, worse] = table.unit === 'MB' ? ['less memory', 'more memory'] : ['faster', 'slower'];
  const than = name ? ` than ${name}` : '';
  const gain = table.higherIsBetter ? zapjobs / other : other / zapjobs;
  if (Math.abs(gain - 1) < 0.05) return name ? `on par with ${name}` : 'on par';
  const times = (x) => `${x.toFixed(x >= 10 ? 0 : 1)}×`;
  return gain > 1 ? `${times(gain)} ${better}${than}` : `${times(1 / gain)} ${worse}${than}`;
}

/** The contenders on PostgreSQL that ZapJobs on PostgreSQL is compared with, besides ZapJobs on SQLite. */
const PG_PEERS = ['zapjobs-pg@baseline', 'zapjobs-pg-prefetch', 'graphile-worker', 'graphile-worker-batched'];

export function renderTable(table, { keys, labels, results }) {
  const base = table.baseTable ? results.get(table.baseTable) : null;
  // Ratio columns only for the raw variants measured in this table.
  const raws = ['raw-1', 'raw-100', 'raw-min-100'].filter((key) => Number.isFinite(table.value(key)));
  // ZapJobs on PostgreSQL against its PostgreSQL peers, when both are measured in this table.
  const pgPeers = Number.isFinite(table.value('zapjobs-pg')) && PG_PEERS.some((key) => Number.isFinite(table.value(key)));
  const header = [
    'contender',
    `${table.unit}`,
    'range (min–max)',
    ...table.extras.map((e) => e.label),
    ...raws.map((key) => `÷ ${labels[key]}`),
    'ZapJobs vs this',
    ...(pgPeers ? ['ZapJobs (PostgreSQL) vs this'] : []),
    ...(base ? [`÷ ${base.id} (empty table)`, `÷ ${base.id}, from first job`] : []),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const key of keys) {
    const row = table.rows.get(key);
    if (!row) continue;
    if (row.na) {
      lines.push(`| ${labels[key]} | n/a: ${row.na} |${' |'.repeat(header.length - 2)}`);
      continue;
    }
    const value = table.value(key);
    const digits = table.digits ?? 0;
    lines.push(
      `| ${[
        key === 'zapjobs' ? `**${labels[key]}**` : labels[key],
        key === 'zapjobs' ? `**${fmt(value, digits)}**` : fmt(value, digits),
        `${fmt(Math.min(...row.samples), digits)}–${fmt(Math.max(...row.samples), digits)}`,
        ...table.extras.map((e) => fmt(table.extra(key, e.key), e.key === 'p95' || e.key === 'p50' ? 1 : 0)),
        ...raws.map((raw) => ratio(value, table.value(raw))),
        key === 'zapjobs' ? '—' : comparison(table, table.value('zapjobs'), value) ?? '—',
        ...(pgPeers ? [PG_PEERS.includes(key) ? comparison(table, table.value('zapjobs-pg'), value) ?? '—' : '—'] : []),
        ...(base ? [ratio(value, base.value(key)), ratio(table.extra(key, 'steady'), base.extra(key, 'steady'))] : []),
      ].join(' | ')} |`,
    );
  }
  const direction = table.higherIsBetter ? 'Higher is better.' : 'Lower is better.';
  const samples = table.id.startsWith('W3')
    ? 'Median and p95 of all samples, taken in interleaved rounds.'
    : 'Median of the repetitions, run interleaved (contenders in rotation); range: their min and max.';
  return [`### ${table.title}`, '', lines.join('\n'), '', `${direction} ${samples} Ratios divide medians.`, ...table.notes.map((n) => `- ${n}`), ''].join('\n');
}

/** One line per table: ZapJobs against the raw ceiling and against each peer. */
export function renderSummary({ results, keys, labels }) {
  const lines = [];
  const line = (table, name, get, note) => {
    const zapjobs = get('zapjobs');
    if (!Number.isFinite(zapjobs)) return;
    const parts = [];
    for (const raw of ['raw-1', 'raw-100', 'raw-min-100']) {
      const v = get(raw);
      if (Number.isFinite(v)) parts.push(`${(zapjobs / v).toFixed(2)}× ${labels[raw]}`);
    }
    for (const key of keys) {
      if (key === 'zapjobs' || key.startsWith('raw-')) continue;
      const text = comparison(table, zapjobs, get(key), labels[key]);
      if (text) parts.push(text);
    }
    lines.push(`- **${name}**: ZapJobs ${fmt(zapjobs, table.digits ?? 0)} ${table.unit}${parts.length ? `; ${parts.join('; ')}` : ''}.${note ? ` (${note})` : ''}`);
  };
  // ZapJobs on PostgreSQL against the PostgreSQL peers, where both ran.
  const pgLine = (table, name, get) => {
    const zapjobs = get('zapjobs-pg');
    if (!Number.isFinite(zapjobs)) return;
    const parts = PG_PEERS.filter((key) => keys.includes(key))
      .map((key) => comparison(table, zapjobs, get(key), `${labels[key]} (${fmt(get(key), table.digits ?? 0)})`))
      .filter(Boolean);
    if (parts.length) lines.push(`- **${name}, PostgreSQL**: ZapJobs (PostgreSQL) ${fmt(zapjobs, table.digits ?? 0)} ${table.unit}; ${parts.join('; ')}.`);
  };
  for (const table of results.tables) {
    const name = table.id.replace(/^W4-(\d+)$/, (_, n) => `W4 (${Number(n).toLocaleString('en')} finished)`);
    const value = (key) => table.value(key);
    // A drain's figure includes the worker's start-up; the rate from its first job is the engine alone.
    const steady = (key) => (table.rows.get(key)?.na ? NaN : table.extra(key, 'steady'));
    const hasSteady = table.extras.some((e) => e.key === 'steady');
    line(table, name, value, table.summaryNote);
    if (hasSteady) line(table, `${name}, from the first job`, steady);
    pgLine(table, name, value);
    if (hasSteady) pgLine(table, `${name}, from the first job`, steady);
  }
  return lines.join('\n');
}

export function renderResults(context) {
  return context.results.tables.map((table) => renderTable(table, context)).join('\n');
}

export function renderDocument(context) {
  const { machine, versions, mode, startedAt, durationS, keys, labels, skipped, plan, sqliteVersion, tmpDir } = context;
  const software = Object.entries(versions)
    .map(([name, version]) => `| ${name} | ${version} |`)
    .join('\n');
  const contenders = keys.map((key) => `- ${labels[key]}: ${context.describe[key]}`).join('\n');
  const left = Object.entries(skipped).map(([key, why]) => `- ${labels[key] ?? key}: left out: ${why}`).join('\n');
  return `# Benchmarks

Generated by \`npm run bench${mode === 'quick' ? ' -- --quick' : ''}\` (bench/run.mjs) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC,
**${mode} mode**${mode === 'quick' ? ' (W1-W3 with fewer jobs: a quick check, not figures to quote)' : ''}, in ${Math.round(durationS / 60)} min.
The workloads (W1-W6) and the rules (interleaved repetitions, medians, ratios) are those of the team's benchmark brief.
Do not edit by hand: run the bench again.

## Machine and software

| | |
| --- | --- |
| CPU | ${machine.cpu}, ${machine.cores} cores (a shared machine: other work ran beside the bench) |
| memory | ${machine.memoryGiB} GiB |
| kernel | Linux ${machine.kernel} |
| Node.js | ${machine.node} |
| SQLite | ${sqliteVersion} (bundled with better-sqlite3) |
| ZapJobs revision | ${machine.revision} |
${software}

Databases: files in ${tmpDir.replace(/\/[^/]*$/, '/…')} on the local disk, WAL mode, \`synchronous=NORMAL\` (each library sets these itself).
Each measurement starts from a fresh copy of an empty (or pre-filled) database, with fresh processes.

## Contenders

${contenders}
${left ? `\n${left}\n` : ''}
The raw baseline is the ceiling for ZapJobs' own table: it pays for the same text UUID key and the same indexes on zj_runs.
The minimal-table raw row (integer key, one claim index, no bookkeeping) is the ceiling of any SQLite job queue in Node.
plainjob's table has an integer key and one index, so its inserts cost less, and it can pass that ceiling in W1 and W1b.
All SQLite contenders commit each job's completion to the database file before it counts as completed; BullMQ keeps its jobs in memory;
ZapJobs on PostgreSQL and graphile-worker share one PostgreSQL server and commit as it is set up to (see fsync and synchronous_commit above:
\`.ci/postgres.sh\` starts it with fsync off, so neither waits for the disk). "ZapJobs" in the summary is ZapJobs on SQLite;
the lines marked "PostgreSQL" compare ZapJobs on PostgreSQL with graphile-worker.

## Summary

ZapJobs against the raw better-sqlite3 ceiling (× = ZapJobs ÷ raw) and against each peer, medians:

${renderSummary(context)}

## Results

${renderResults(context)}
## How to run

\`\`\`sh
npm run bench             # full: W1-W6, ${plan.full.repetitions} repetitions (about ${plan.full.expectedMinutes} minutes on this machine)
npm run bench -- --quick  # W1-W3 with fewer jobs, under a minute
\`\`\`

\`npm run bench\` builds the library (\`npm run build\`, to dist/), installs the benchmark's own dependencies into bench/node_modules
(\`npm --prefix bench ci\`, once) and runs \`node bench/run.mjs\`. The benchmark is not part of \`npm test\`. BullMQ runs when a
\`redis-server\` binary is on the PATH (Debian: \`apt-get install redis-server\`); the bench starts it on 127.0.0.1 at a free port
without persistence and stops it at the end. ZapJobs on PostgreSQL runs when a server is given in ZAPJOBS_BENCH_PG_URL (or
ZAPJOBS_TEST_PG_URL, which \`eval "$(bash .ci/postgres.sh start)"\` sets after starting a throwaway server), and graphile-worker
(plain and batched) beside it on the same server; they add about
${plan.full.postgresMinutes} minutes to a full run.

Before and after a change, side by side in one run: \`--baseline DIR\` (DIR: another checkout's built dist/) adds the rows
"ZapJobs (SQLite) @ baseline" and, with a PostgreSQL server, "ZapJobs (PostgreSQL) @ baseline", measured in rotation with the
others. For example, against commit REV:

\`\`\`sh
git clone -q . /tmp/before && git -C /tmp/before checkout -q REV && ln -s "$PWD/node_modules" /tmp/before/node_modules
(cd /tmp/before && npx tsc -p tsconfig.build.json)
npm run bench -- --quick --baseline /tmp/before/dist
\`\`\`
`;
}

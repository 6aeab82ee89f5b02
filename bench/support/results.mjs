// Where the workloads put their figures, and how a figure becomes the number in the report.
import { median, percentile } from './timing.mjs';

/**
 * One table of the report: one figure per contender (its samples, one per repetition), extra
 * columns (for example peak RSS), or the reason the contender does not take part.
 */
export class ResultTable {
  constructor({ id, title, unit, higherIsBetter, extras = [], baseTable, digits = 0, summaryNote }) {
    // summaryNote: a caveat that must travel with this table's line in the summary.
    Object.assign(this, { id, title, unit, higherIsBetter, extras, baseTable, digits, summaryNote });
    this.rows = new Map();
    this.notes = [];
  }

  row(key) {
    if (!this.rows.has(key)) this.rows.set(key, { samples: [], extras: {}, na: null });
    return this.rows.get(key);
  }

  /** One repetition's figure and extra values (`extras` keyed like this.extras). */
  add(key, value, extras = {}) {
    const row = this.row(key);
    row.samples.push(value);
    for (const [name, v] of Object.entries(extras)) (row.extras[name] ??= []).push(v);
  }

  /** This contender does not take part, and why. */
  na(key, reason) {
    this.row(key).na = reason;
  }

  note(text) {
    this.notes.push(text);
  }

  /** The figure the report quotes: the median of the repetitions (or of the samples, for W3). */
  value(key) {
    const row = this.rows.get(key);
    return row && !row.na && row.samples.length ? median(row.samples) : NaN;
  }

  extra(key, name) {
    const row = this.rows.get(key);
    const spec = this.extras.find((e) => e.key === name);
    // W3's p95 is a percentile of all its samples, not a median of per-repetition values.
    if (spec?.percentileOfSamples) return row?.samples.length ? percentile(row.samples, spec.percentileOfSamples) : NaN;
    const values = row?.extras[name];
    return values?.length ? median(values) : NaN;
  }
}

export class Results {
  constructor() {
    this.tables = [];
  }

  table(spec) {
    const table = new ResultTable(spec);
    this.tables.push(table);
    return table;
  }

  get(id) {
    return this.tables.find((t) => t.id === id);
  }
}

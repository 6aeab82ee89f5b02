/**
 * How the command line prints: aligned tables that fit the terminal, colours only on a TTY and
 * never with NO_COLOR (https://no-color.org), JSON for scripts (--json), and a progress bar on
 * stderr when it is a TTY. Nothing here knows about runs: the commands hand it text.
 */

/** The part of a stream the output needs (process.stdout, process.stderr, or a test's fake). */
export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan';
const ANSI: Record<Style, [number, number]> = {
  bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39],
};

/** A table cell: text, optionally styled (the style is applied after padding, so widths stay right). */
export type Cell = string | { text: string; style?: Style };

export interface Column {
  header: string;
  /** Numbers read better right-aligned. */
  align?: 'left' | 'right';
  /** Shortened (with …) when the table is wider than the terminal: free text such as errors. */
  flex?: boolean;
}

/** Columns between cells. */
const GAP = 2;
/** A flexible column is never cut below this. */
const MIN_FLEX = 12;

export class Output {
  /** Colours on: stdout is a TTY and NO_COLOR is unset or empty. */
  readonly color: boolean;

  constructor(
    readonly json: boolean,
    private readonly out: TextStream = process.stdout,
    private readonly err: TextStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.color = out.isTTY === true && !env.NO_COLOR;
  }

  /** Whether stdout is a terminal (status --watch redraws the screen only then). */
  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  /** A value for scripts: pretty JSON, or one line with `compact` (a stream of snapshots, one per line). */
  data(value: unknown, compact = false): void {
    this.out.write(`${JSON.stringify(value, null, compact ? undefined : 2)}\n`);
  }

  /** A warning or note for the person, on stderr: stdout stays what scripts parse. */
  note(text: string): void {
    this.err.write(`${text}\n`);
  }

  paint(style: Style | undefined, text: string): string {
    if (!this.color || !style) return text;
    const [on, off] = ANSI[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** Clears a terminal before a redraw (status --watch); nothing elsewhere. */
  clearScreen(): void {
    if (this.interactive) this.out.write('\u001b[2J\u001b[H');
  }

  heading(text: string): void {
    this.line(this.paint('bold', text));
  }

  /** Rows aligned under their headers; on a terminal narrower than the table, flexible columns are cut. */
  table(columns: Column[], rows: Cell[][]): void {
    for (const line of renderTable(columns, rows, this.out.isTTY ? this.out.columns : undefined, (style, text) => this.paint(style, text))) {
      this.line(line);
    }
  }

  /** A progress bar on stderr, drawn only when stderr is a TTY, the output is not JSON, and there is something to do. */
  progress(label: string, total: number): ProgressBar {
    return new ProgressBar(this.err, label, total, this.err.isTTY === true && !this.json && total > 0);
  }
}

/** The lines of a table (exported for tests). `width`: the terminal's, when the table should fit it. */
export function renderTable(
  columns: Column[],
  rows: Cell[][],
  width?: number,
  paint: (style: Style | undefined, text: string) => string = (_, text) => text,
): string[] {
  const textOf = (cell: Cell | undefined) => (cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text);
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => oneLine(textOf(row[i])).length)));
  if (width !== undefined && width > 0) {
    let excess = widths.reduce((sum, w) => sum + w, 0) + GAP * (columns.length - 1) - width;
    // The widest flexible column gives first, down to MIN_FLEX, until the table fits.
    while (excess > 0) {
      const candidates = columns.map((column, i) => i).filter((i) => columns[i].flex && widths[i] > MIN_FLEX);
      if (candidates.length === 0) break;
      const widest = candidates.reduce((a, b) => (widths[b] > widths[a] ? b : a));
      const cut = Math.min(excess, widths[widest] - MIN_FLEX);
      widths[widest] -= cut;
      excess -= cut;
    }
  }
  const fit = (text: string, w: number) => (text.length > w ? `${text.slice(0, Math.max(0, w - 1))}…` : text);
  const pad = (text: string, i: number) => {
    const w = widths[i];
    const t = fit(text, w);
    if (columns[i].align === 'right') return t.padStart(w);
    // The last column is not padded: no trailing blanks (inside a colour, trimEnd would miss them).
    return i === columns.length - 1 ? t : t.padEnd(w);
  };
  const render = (cells: Cell[], header: boolean) =>
    columns
      .map((_, i) => {
        const cell = cells[i];
        const padded = pad(oneLine(textOf(cell)), i);
        return header ? paint('bold', padded) : paint(typeof cell === 'object' ? cell.style : undefined, padded);
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [render(columns.map((column) => column.header), true), ...rows.map((row) => render(row, false))];
}

/** Redraws one line on a TTY (at most every 100 ms); prints nothing elsewhere. */
export class ProgressBar {
  private lastDraw = 0;
  private done = 0;

  constructor(private readonly stream: TextStream, private readonly label: string, private readonly total: number, private readonly enabled: boolean) {}

  update(done: number): void {
    this.done = done;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = now;
    this.stream.write(`\r${renderBar(this.label, done, this.total, this.stream.columns)}`);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (!this.enabled) return;
    this.stream.write(`\r${renderBar(this.label, this.done, Math.max(this.total, this.done), this.stream.columns)}\n`);
  }
}

/** One line of a progress bar, e.g. `runs [#########...........] 45% 450/1000` (exported for tests). */
export function renderBar(label: string, done: number, total: number, width = 80): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const tail = ` ${Math.floor(ratio * 100)}% ${done}/${total}`;
  const room = Math.max(10, Math.min(40, width - label.length - tail.length - 4));
  const filled = Math.round(ratio * room);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(room - filled)}]${tail}`;
}

// ----- values as people read them -----

/** A time as ISO 8601 in UTC, to the second: 2026-12-02T14:55:37Z. */
export const formatTime = (date: Date | null | undefined): string => (date ? `${date.toISOString().slice(0, 19)}Z` : '');

/** A length of time, short: 350ms, 12s, 2m05s, 3h04m, 5d02h. */
export function formatSpan(ms: number | null | undefined): string {
  if (ms == null) return '';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  // The smaller unit is left out when zero: '7d', not '7d00h'.
  const span = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    `${big}${bigUnit}${small === 0 ? '' : `${String(small).padStart(2, '0')}${smallUnit}`}`;
  if (s < 3600) return span(Math.floor(s / 60), 'm', s % 60, 's');
  if (s < 86_400) return span(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  return span(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3600), 'h');
}

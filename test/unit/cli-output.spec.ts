import { Output, renderBar, renderTable, formatSpan, type TextStream } from '../../lib/cli/output.js';
import { pointInTime, statuses } from '../../lib/cli/arguments.js';
import { connectionOptions } from '../../lib/cli/connection-flags.js';

/** A stream that keeps what is written: a terminal of `columns` when `tty`. */
function stream(tty: boolean, columns = 80): TextStream & { text: string } {
  const s = { text: '', isTTY: tty, columns, write: (chunk: string) => ((s.text += chunk), true) };
  return s;
}

describe('CLI output', () => {
  const columns = [{ header: 'ID' }, { header: 'N', align: 'right' as const }, { header: 'ERROR', flex: true }];
  const rows = [['a1', '7', 'x'.repeat(60)], ['b22', '12', 'short']];

  it('aligns columns under their headers, numbers to the right', () => {
    expect(renderTable(columns, rows)).toEqual([
      `ID    N  ERROR`,
      `a1    7  ${'x'.repeat(60)}`,
      `b22  12  short`,
    ]);
  });

  it('cuts the flexible column so that the table fits the terminal', () => {
    const lines = renderTable(columns, rows, 40);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/x…$/);
    expect(lines[2]).toMatch(/short$/);
  });

  it('colours only on a TTY, never with NO_COLOR, and never in the widths', () => {
    const cells = [['a1', '7', { text: 'boom', style: 'red' as const }]];
    const tty = stream(true);
    new Output(false, tty, stream(true), {}).table(columns, cells);
    expect(tty.text).toContain('\u001b[31mboom\u001b[39m');
    expect(tty.text.replace(/\u001b\[\d+m/g, '')).toBe('ID  N  ERROR\na1  7  boom\n');

    const noColor = stream(true);
    new Output(false, noColor, stream(true), { NO_COLOR: '1' }).table(columns, cells);
    expect(noColor.text).not.toContain('\u001b[');
    const piped = stream(false);
    new Output(false, piped, stream(false), {}).table(columns, cells);
    expect(piped.text).not.toContain('\u001b[');
  });

  it('draws the progress bar on a TTY stderr only, and not with --json', () => {
    const err = stream(true);
    const bar = new Output(false, stream(false), err, {}).progress('runs', 10);
    bar.update(5);
    bar.update(10);
    bar.finish();
    expect(err.text).toContain('\rruns [');
    expect(err.text.endsWith('] 100% 10/10\n')).toBe(true);
    expect(renderBar('runs', 5, 10, 60)).toMatch(/^runs \[#+\.+\] 50% 5\/10$/);

    for (const output of [new Output(false, stream(true), stream(false), {}), new Output(true, stream(true), stream(true), {})]) {
      const quiet = output.progress('runs', 10);
      quiet.update(10);
      quiet.finish();
    }
    const silent = stream(false);
    const none = new Output(false, stream(true), silent, {}).progress('runs', 3);
    none.update(3);
    none.finish();
    expect(silent.text).toBe('');
  });

  it('spells spans short', () => {
    expect([formatSpan(350), formatSpan(1234), formatSpan(42_000), formatSpan(125_000), formatSpan(3 * 3_600_000 + 240_000), formatSpan(2 * 86_400_000), formatSpan(120_000)]).toEqual([
      '350ms', '1.2s', '42s', '2m05s', '3h04m', '2d', '2m',
    ]);
  });
});

describe('CLI arguments', () => {
  it('reads a point in time as an ISO date or a duration back from now', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const at = pointInTime(() => now);
    expect(at('2h').toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(at('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(() => at('yesterday')).toThrow(/Expected an ISO date/);
    // A day that does not exist is refused, not rolled over to the next month.
    expect(() => at('2026-02-30')).toThrow(/Expected an ISO date/);
    expect(() => at('2026-13-01')).toThrow(/Expected an ISO date/);
    expect(at('2028-02-29').toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(at('2026-12-31T23:00:00+02:00').toISOString()).toBe('2026-12-31T21:00:00.000Z');
  });

  it('reads statuses as a comma-separated list of known ones', () => {
    expect(statuses()('failed, cancelled')).toEqual(['failed', 'cancelled']);
    expect(() => statuses()('failed,done')).toThrow(/among pending, running/);
  });

  it('takes the database from a flag before the environment, and refuses none or two', () => {
    const cli = () => 'cli' as const;
    const env = () => 'env' as const;
    expect(connectionOptions({ database: 'a.db' }, cli)).toMatchObject({ storage: 'sqlite', database: 'a.db' });
    expect(connectionOptions({ database: 'a.db', url: 'postgres://h/db' }, (flag) => (flag === 'database' ? 'cli' : 'env'))).toMatchObject({
      storage: 'sqlite',
    });
    expect(connectionOptions({ url: 'postgres://h/db', schema: 's' }, env)).toMatchObject({ storage: 'postgres', url: 'postgres://h/db', schema: 's' });
    expect(() => connectionOptions({}, cli)).toThrow(/no database given/);
    expect(() => connectionOptions({ database: 'a.db', url: 'postgres://h/db' }, env)).toThrow(/both ZAPJOBS_DATABASE and DATABASE_URL/);
    expect(() => connectionOptions({ url: 'mysql://h/db' }, cli)).toThrow(/--url: expected a PostgreSQL URL/);
    expect(() => connectionOptions({ database: 'a.db', schema: 's' }, cli)).toThrow(/--schema applies to PostgreSQL/);
  });
});

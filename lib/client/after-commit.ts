import type { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';

interface Pending {
  /** The transaction depth (1, or more inside savepoints) the callback was registered at. */
  depth: number;
  fn: () => void;
}

const depthOf = (queryRunner: QueryRunner): number => {
  // TypeORM counts nested transactions (savepoints) in a protected field; 1 when it has none.
  const depth = (queryRunner as unknown as { transactionDepth?: unknown }).transactionDepth;
  return typeof depth === 'number' ? depth : 1;
};

/**
 * Calls back once an application's TypeORM transaction has committed, never when it rolls back:
 * what enqueue({ manager }) does once its runs exist for everyone (the 'enqueued' events, the
 * wake-up of this process's workers). It listens through a subscriber added to the application's
 * DataSource (TypeORM broadcasts afterTransactionCommit / afterTransactionRollback to every
 * subscriber of the DataSource of the query runner), and removed again by detach().
 * A savepoint (a nested transaction) rolled back drops what was registered inside it; one
 * released hands it to the enclosing level. A callback never throws into TypeORM: the commit has
 * happened, and the application must not see it fail.
 */
export class AfterCommit {
  private readonly pending = new WeakMap<QueryRunner, Pending[]>();
  private readonly attached = new Set<DataSource>();
  private readonly subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: ({ queryRunner }) => this.ended(queryRunner, true),
    afterTransactionRollback: ({ queryRunner }) => this.ended(queryRunner, false),
  };

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Runs `fn` after the transaction of `queryRunner` commits. */
  add(queryRunner: QueryRunner, fn: () => void): void {
    const dataSource = queryRunner.dataSource;
    if (!this.attached.has(dataSource)) {
      dataSource.subscribers.push(this.subscriber);
      this.attached.add(dataSource);
    }
    let list = this.pending.get(queryRunner);
    if (!list) this.pending.set(queryRunner, (list = []));
    list.push({ depth: depthOf(queryRunner), fn });
  }

  /** Removes the subscriber from every DataSource it was added to (ZapJobs shuts down). */
  detach(): void {
    for (const dataSource of this.attached) {
      const at = dataSource.subscribers.indexOf(this.subscriber);
      if (at >= 0) dataSource.subscribers.splice(at, 1);
    }
    this.attached.clear();
  }

  private ended(queryRunner: QueryRunner, committed: boolean): void {
    const list = this.pending.get(queryRunner);
    if (!list) return;
    if (!queryRunner.isTransactionActive) {
      this.pending.delete(queryRunner);
      if (!committed) return;
      for (const { fn } of list) {
        try {
          fn();
        } catch (error) {
          this.onError(error);
        }
      }
      return;
    }
    // A savepoint ended: its level is now `depth`.
    const depth = depthOf(queryRunner);
    if (committed) for (const entry of list) entry.depth = Math.min(entry.depth, depth);
    else this.pending.set(queryRunner, list.filter((entry) => entry.depth <= depth));
  }
}

import 'reflect-metadata';
import { describeEachBackend } from '../helpers/backends.js';
import { ManualClock, openStorage, rawSqlite, type OpenedStorage } from '../helpers/open-storage.js';
import { waitFor } from '../helpers/wait-for.js';
import { FEED_KEEP_MS } from '../../lib/storage/sqlite/sqlite-event-feed.js';

/** publishEvents / subscribeEvents, the storage half of events across processes (issue 11). */
describeEachBackend('event feed', (backend) => {
  let opened: OpenedStorage[] = [];
  let drop: () => Promise<void>;
  afterEach(async () => {
    for (const o of opened) await o.close();
    opened = [];
    await drop();
  });

  it('a subscriber hears what is published from then on, in order, each once; not what came before', async () => {
    const db = backend.create();
    drop = db.drop;
    const a = await openStorage(db.options);
    const b = await openStorage(db.options, { migrate: false });
    opened.push(a, b);
    await a.storage.publishEvents(['before']);
    const heard: string[] = [];
    const unsubscribe = await b.storage.subscribeEvents((payload) => heard.push(payload), 20);
    await a.storage.publishEvents(['one', 'two']);
    await a.storage.publishEvents(['three']);
    await waitFor(() => heard.length >= 3, { what: 'three events heard' });
    await unsubscribe();
    expect(heard).toEqual(['one', 'two', 'three']);
  });

  if (backend.name === 'sqlite') {
    it('prunes feed rows older than FEED_KEEP_MS as it writes, so the table stays small', async () => {
      const db = backend.create();
      drop = db.drop;
      const clock = new ManualClock();
      const o = await openStorage(db.options, { clock });
      opened.push(o);
      const count = () => (rawSqlite(o.dataSource).prepare('SELECT count(*) AS n FROM "zj_events"').get() as { n: number }).n;
      await o.storage.publishEvents(['a', 'b']);
      expect(count()).toBe(2);
      clock.advance(FEED_KEEP_MS + 1);
      await o.storage.publishEvents(['c']);
      expect(count()).toBe(1);
    });
  }
});

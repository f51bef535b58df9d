/**
 * The behaviour suite (suite.ts) against the in-process engine (src/index.ts).
 *
 * Goal: the reference run of the suite; service.test.ts runs the same suite through the SDK.
 * Method: each test opens a temporary database (useTmpDb: structural and record checks after
 * each test, reopen, check again). Properties: see suite.ts.
 */
import { useTmpDb } from '../harness/tmp-db.js';
import { engineStore } from './store.js';
import { behaviourSuite } from './suite.js';

const tmp = useTmpDb();

behaviourSuite({
  name: 'engine',
  async open({ mvcc }) {
    const { db } = await tmp.open({ mvcc });
    return engineStore(db);
  },
});

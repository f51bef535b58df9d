/**
 * The behaviour suite (suite.ts) through the SDK against a live server.
 *
 * Goal: the SDK and the service behave exactly as the in-process engine: same results, same
 * error codes (rebuilt from ErrorInfo reasons), for the same calls.
 * Method: each test starts a HexxlaServer on 127.0.0.1 port 0 over a temporary database
 * (useTmpDb checks it after the test) and connects a HexxlaClient to it. Listings use a page
 * size of 2, so they cross pages. Properties: see suite.ts.
 */
import { afterEach } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from '../server/harness.js';
import { clientStore } from './store.js';
import { behaviourSuite } from './suite.js';

const tmp = useTmpDb();
const clients: HexxlaClient[] = [];
// Registered after useTmpDb, so it runs first: clients and servers stop before the check.
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAll();
});

behaviourSuite({
  name: 'service',
  async open({ mvcc }) {
    const { address } = await startServer(tmp, {}, { mvcc });
    const client = await HexxlaClient.connect(address, { deadlineMs: 10_000 });
    clients.push(client);
    return clientStore(client);
  },
});

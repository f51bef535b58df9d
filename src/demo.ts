/**
 * `npm start` until the gRPC service exists: opens (or creates) a database under ./data/, writes a
 * few cell-like records at hex coordinates in one durable transaction, closes it, reopens it (which
 * runs crash recovery) and reads everything back in key order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { coordToString, open, packCoord, ring, unpackCoord } from './index.js';

const dataDir = path.resolve(process.env['HEXXLA_DATA_DIR'] ?? 'data');
const dbPath = path.join(dataDir, 'demo.db');
const enc = new TextEncoder();
const dec = new TextDecoder();

async function main(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  let db = await open(dbPath);
  const centre = { q: 0, r: 0 };
  await db.update((tx) => {
    const stamp = new Date().toISOString();
    tx.put(packCoord(centre), enc.encode(`centre memory, written ${stamp}`));
    ring(centre, 1).forEach((c, i) => {
      tx.put(packCoord(c), enc.encode(`neighbour ${i} of the centre, written ${stamp}`));
    });
  });
  console.log(`wrote 7 records to ${dbPath} (commit seq ${db.commitSeq()})`);
  await db.close();

  db = await open(dbPath);
  db.view((tx) => {
    for (const [key, value] of tx.range()) {
      const { coord } = unpackCoord(key);
      console.log(`${coordToString(coord).padEnd(10)} ${dec.decode(value)}`);
    }
  });
  const stats = db.stats();
  console.log(`reopened: commit seq ${db.commitSeq()}, ${stats.pageCount} pages, ` +
    `page size ${db.pageSize()}`);
  await db.close();
}

await main();

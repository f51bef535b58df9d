/**
 * `npm run demo`: the library in-process. Opens (or creates) an MVCC database under ./data/,
 * writes a few cells around a centre, marks a contradiction, closes, reopens (which runs crash
 * recovery) and walks the rings back, then reads the state as it was before the last commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { coordToString, open, ring } from './index.js';

const dataDir = path.resolve(process.env['HEXXLA_DATA_DIR'] ?? 'data');
const dbPath = path.join(dataDir, 'demo.db');

async function main(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  let db = await open(dbPath, { mvcc: true });
  const centre = { q: 0, r: 0 };
  const stamp = new Date().toISOString();
  await db.update((tx) => {
    tx.putCell({ coord: centre, rawContent: `The meeting is on Tuesday (${stamp})`,
      tags: ['meeting'], provenance: { sourceId: 'demo', confidence: 0.9 } });
    for (const [i, c] of ring(centre, 1).entries()) {
      tx.putCell({ coord: c, rawContent: `note ${i} near the centre`, tags: ['note'] });
    }
  });
  const before = db.commitSeq();
  await db.update((tx) => {
    const moved = { q: 2, r: 0 };
    tx.putCell({ coord: moved, rawContent: 'The meeting moved to Wednesday', tags: ['meeting'] });
    tx.markSupersedes(moved, centre, { reason: 'rescheduled' });
  });
  await db.close();

  db = await open(dbPath);
  for (const { ring: k, cell } of db.view((tx) => tx.walkRing(centre, 2))) {
    console.log(`ring ${k} ${coordToString(cell.coord)}: ${cell.rawContent}`);
  }
  const seams = db.view((tx) => tx.seamsOfCell(centre));
  console.log(`seams on the centre: ${seams.map((s) => `${s.seamType} (${s.reason})`).join(', ')}`);
  const then = db.viewAt(before, (tx) => tx.getCell({ q: 2, r: 0 }));
  console.log(`at seq ${before} the cell at 2,0 was ${then === undefined ? 'absent' : 'present'}`);
  console.log(`health: ${db.healthCheck().ok ? 'ok' : 'problems found'}; seq ${db.commitSeq()}`);
  await db.close();
}

await main();

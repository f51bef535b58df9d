/**
 * Goal: the changelog is crash-consistent with the primary (SPEC §7): after a power loss at any
 * sync boundary, a commit's entries are present iff the commit is, and no acknowledged commit
 * lacks them.
 * Method: FaultyFileSystem + forEachSyncBoundary (test/fault): a workload of sequential cell
 * puts with the changelog on, with a checkpoint half-way; each crash
 * image ('drop' and 'torn' modes) is reopened with the changelog and compared.
 * Properties: open succeeds; the changelog holds exactly one putCell frame per commit 1…head, for
 * the cell that commit wrote; head ≥ acknowledged; a new commit appends its frame.
 */
import { describe, expect, it } from 'vitest';
import { coord, open } from '../../src/index.js';
import type { FaultyFileSystem } from '../fault/faulty-fs.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import { cellKey } from '../../src/engine/keys.js';

const dir = '/db';
const dbPath = `${dir}/log.db`;
const options = { changelog: true };
const text = 'x'.repeat(900);

let acked = 0;

async function workload(fs: FaultyFileSystem): Promise<void> {
  acked = 0;
  const db = await open(dbPath, { ...options, fs });
  const put = async (i: number): Promise<void> => {
    await db.putCell({ coord: coord(i, 0), rawContent: `${i}${text}` });
    acked = Math.max(acked, i);
  };
  // Sequential commits only: concurrent ones batch differently from run to run, and the
  // boundary enumeration needs the same syncs every run (group commit is covered elsewhere).
  for (let i = 1; i <= 80; i++) {
    await put(i);
    // An explicit checkpoint: a size-triggered one runs in the background, at a moment that
    // varies between runs, and the enumeration needs the same syncs every run.
    if (i === 40) await db.checkpoint();
  }
  await db.close();
}

describe('changelog under power loss', () => {
  for (const mode of ['drop', 'torn'] as const) {
    it(`keeps frames iff their commit survived (${mode})`, async () => {
      const { cases } = await forEachSyncBoundary({
        setup: (fs) => {
          fs.mkdirp(dir);
          fs.flushAll();
        },
        workload,
        crash: { mode },
        check: async (image) => {
          const db = await open(dbPath, { ...options, fs: image });
          const head = Number(db.commitSeq());
          expect(head).toBeGreaterThanOrEqual(acked);
          const entries = db.readChangelogSince(0n);
          expect(entries.map((e) => Number(e.seq))).toEqual(
            Array.from({ length: head }, (_, i) => i + 1));
          for (const e of entries) {
            expect(e.op).toBe('putCell');
            expect(e.key).toEqual(cellKey(coord(Number(e.seq), 0)));
          }
          await db.putCell({ coord: coord(-1, -1), rawContent: 'after' });
          expect(db.readChangelogSince(BigInt(head)).map((e) => e.seq))
            .toEqual([BigInt(head + 1)]);
          await db.close();
        },
      });
      expect(cases).toBeGreaterThan(20);
    });
  }
});

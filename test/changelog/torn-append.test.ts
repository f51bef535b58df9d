/**
 * A power loss between the log writer's WAL write and the changelog's fsync (the WAL bytes of a
 * batch are written before the changelog is synced, so they may survive whole while the
 * changelog append is torn): the database must open. Review of the library audit: a rule that
 * called such a frame "damage" (its clear seq names a recovered commit) made it refuse to open
 * with ChangelogCorrupt; the torn append is truncated instead.
 */
import { describe, expect, it } from 'vitest';
import { coord, open } from '../../src/index.js';
import { FaultyFileSystem } from '../fault/faulty-fs.js';

describe('a torn changelog append next to a surviving WAL write', () => {
  for (const seed of [1, 2, 5, 8]) {
    it(`opens (seed ${seed})`, async () => {
      const fs = new FaultyFileSystem({ seed });
      fs.mkdirp('/db');
      fs.flushAll();
      const db = await open('/db/log.db', { changelog: true, fs });
      fs.crashAtSync(1, { when: 'before' }); // frozen as the changelog sync is called
      await db.putCell({ coord: coord(1, 0), rawContent: `1${'x'.repeat(900)}` })
        .catch(() => undefined);
      expect(fs.state).toBe('frozen');
      const image = fs.crash({ mode: 'torn', seed });
      const again = await open('/db/log.db', { changelog: true, fs: image });
      try {
        expect(again.commitSeq()).toBeLessThanOrEqual(1n);
        expect(again.check().ok).toBe(true);
      } finally {
        await again.close();
      }
    });
  }
});

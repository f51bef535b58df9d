/** Every key and value of a database's newest durable state, decoded as UTF-8 (test helper). */
import type { Database } from '../../src/index.js';

const dec = new TextDecoder();

export function snapshot(db: Database): Map<string, string> {
  const seen = new Map<string, string>();
  db.view((tx) => {
    for (const [k, v] of tx.range()) seen.set(dec.decode(k), dec.decode(v));
  });
  return seen;
}

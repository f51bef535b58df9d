/**
 * Goal: the public library API (src/index.ts) behaves as documented, including every failure
 * case a caller can run into, on the raw byte-key surface (SPEC §4.3, §5, §13).
 * Method: black-box tests through `open`, `Database`, `ReadTx` / `WriteTx` and the error guard,
 * on temporary databases from test/harness/tmp-db.ts (each checked with `db.check()` after the
 * test). Two cases are white-box on the file format only: they patch the header slot (layout from
 * src/storage/header.ts) to fake a newer format version, and write garbage files.
 * Properties checked:
 *   - argument errors: 257-byte key → KeyTooLarge (256 is fine), empty key and non-Uint8Array
 *     keys/values → InvalidArgument, values above maxValueBytes → ValueTooLarge (default 8192;
 *     a 1 MiB value round-trips with maxValueBytes 1,048,576), bad open options → InvalidArgument
 *     naming the option;
 *   - transaction lifetime: a tx or its range iterator used after the callback → TxClosed; an
 *     async callback → InvalidArgument with nothing committed; after close → DatabaseClosed;
 *     close is idempotent;
 *   - transaction semantics: update resolves with the callback's value; a throw rolls back every
 *     write; a view does not see an update before it resolved; concurrent updates all land and
 *     share fsyncs; deleting while iterating; reverse ranges, limits (0 included), keys that are
 *     prefixes of each other; compressible and incompressible values round-trip exactly;
 *   - files: a reopened file keeps its pageSize/maxValueBytes whatever the options;
 *     create: false on a missing path → NotFound; garbage → CorruptDatabase; a newer format
 *     version → UnsupportedFormat.
 *   Errors are checked by `err.code` and by `isHexxlaError(err, code)`.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isHexxlaError, open } from '../../src/index.js';
import type { Database, ErrorCode, ReadTx, WriteTx } from '../../src/index.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { Prng } from '../fault/prng.js';
import type { TmpBackend } from '../harness/tmp-db.js';
import { useTmpDb } from '../harness/tmp-db.js';

const dbs = useTmpDb();
const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

/** Asserts that `fn` throws a HexxlaError with `code`; returns it. */
function expectCode(fn: () => unknown, code: ErrorCode): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkCode(caught, code);
}

/** Asserts that `promise` rejects with a HexxlaError with `code`; returns it. */
async function expectReject(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  return checkCode(caught, code);
}

function checkCode(caught: unknown, code: ErrorCode): Error {
  expect(caught, `expected ${code}, nothing was thrown`).toBeDefined();
  expect((caught as { code?: unknown }).code, String(caught)).toBe(code);
  expect(isHexxlaError(caught, code)).toBe(true);
  expect(isHexxlaError(caught)).toBe(true);
  return caught as Error;
}

async function newDb(options: Parameters<typeof dbs.open>[0] = {}): Promise<Database> {
  return (await dbs.open(options)).db;
}

function allEntries(db: Database): string[] {
  return db.view((tx) => [...tx.range()].map(([k, v]) => `${hex(k)}=${hex(v)}`));
}

describe('argument errors', () => {
  it('rejects a 257-byte key with KeyTooLarge everywhere and accepts 256 bytes', async () => {
    const db = await newDb();
    const k256 = new Uint8Array(256).fill(7);
    const k257 = new Uint8Array(257).fill(7);
    await db.update((tx) => tx.put(k256, b('ok')));
    expect(db.view((tx) => tx.get(k256))).toEqual(b('ok'));
    await db.update((tx) => {
      expectCode(() => tx.put(k257, b('x')), 'KeyTooLarge');
      expectCode(() => tx.delete(k257), 'KeyTooLarge');
    });
    db.view((tx) => {
      expectCode(() => tx.get(k257), 'KeyTooLarge');
      expectCode(() => tx.has(k257), 'KeyTooLarge');
      expectCode(() => [...tx.range({ start: k257 })], 'KeyTooLarge');
      expectCode(() => [...tx.range({ end: k257 })], 'KeyTooLarge');
    });
    const err = expectCode(() => db.view((tx) => tx.get(k257)), 'KeyTooLarge');
    expect((err as { context?: Record<string, unknown> }).context).toMatchObject({ bytes: 257 });
  });

  it('rejects empty and non-Uint8Array keys and values with InvalidArgument', async () => {
    const db = await newDb();
    const notBytes = ['abc', 12, null, undefined, [1, 2], new Uint16Array(2)] as unknown[];
    await db.update((tx) => {
      expectCode(() => tx.put(new Uint8Array(0), b('v')), 'InvalidArgument');
      expectCode(() => tx.delete(new Uint8Array(0)), 'InvalidArgument');
      for (const bad of notBytes) {
        expectCode(() => tx.put(bad as Uint8Array, b('v')), 'InvalidArgument');
        expectCode(() => tx.put(b('k'), bad as Uint8Array), 'InvalidArgument');
        expectCode(() => tx.get(bad as Uint8Array), 'InvalidArgument');
        expectCode(() => tx.delete(bad as Uint8Array), 'InvalidArgument');
      }
    });
    db.view((tx) => expectCode(() => tx.get(new Uint8Array(0)), 'InvalidArgument'));
    expect(allEntries(db)).toEqual([]);
  });

  it('accepts a Buffer as key and value (it is a Uint8Array)', async () => {
    const db = await newDb();
    await db.update((tx) => tx.put(Buffer.from('key'), Buffer.from('value')));
    expect(db.view((tx) => tx.get(b('key')))).toEqual(b('value'));
  });

  it('rejects values above maxValueBytes with ValueTooLarge (default 8192)', async () => {
    const db = await newDb();
    expect(db.maxValueBytes()).toBe(8192);
    const atLimit = new Prng(1).bytes(8192);
    await db.update((tx) => tx.put(b('max'), atLimit));
    const err = await expectReject(db.update((tx) => tx.put(b('big'), new Uint8Array(8193))),
      'ValueTooLarge');
    expect((err as { context?: Record<string, unknown> }).context)
      .toMatchObject({ bytes: 8193, limit: 8192 });
    expect(db.view((tx) => [tx.get(b('max')), tx.has(b('big'))])).toEqual([atLimit, false]);
  });

  it('stores and reads back a 1 MiB value with maxValueBytes 1,048,576', async () => {
    const db = await newDb({ maxValueBytes: 1_048_576 });
    const big = new Prng(2).bytes(1_048_576);
    await db.update((tx) => tx.put(b('big'), big));
    expect(Buffer.compare(db.view((tx) => tx.get(b('big')))!, big)).toBe(0);
    await expectReject(db.update((tx) => tx.put(b('x'), new Uint8Array(1_048_577))),
      'ValueTooLarge');
    expect(db.check({ verifyValues: true }).stats.overflowPages).toBeGreaterThan(256);
  });

  it.each([
    ['pageSize', { pageSize: 1000 }],
    ['pageSize', { pageSize: 4097 }],
    ['maxValueBytes', { maxValueBytes: 100 }],
    ['maxValueBytes', { maxValueBytes: 2_000_000 }],
    ['maxValueBytes', { maxValueBytes: 1000.5 }],
    ['cacheBytes', { cacheBytes: -1 }],
    ['walCheckpointBytes', { walCheckpointBytes: 1000 }],
    ['walSyncsInFlight', { walSyncsInFlight: 0 }],
    ['walSyncsInFlight', { walSyncsInFlight: 5 }],
  ])('rejects an invalid %s option with InvalidArgument naming it (%o)', async (name, options) => {
    const fs = new MemoryFileSystem();
    const err = await expectReject(open('/bad/test.db', { fs, ...options }), 'InvalidArgument');
    expect(err.message).toContain(name);
    expect((err as { context?: Record<string, unknown> }).context).toMatchObject({ option: name });
    expect(fs.exists('/bad/test.db')).toBe(false);
  });
});

describe('transaction lifetime', () => {
  it('throws TxClosed when a transaction is used after its callback returned', async () => {
    const db = await newDb();
    await db.update((tx) => tx.put(b('a'), b('1')));
    let reader: ReadTx | undefined;
    db.view((tx) => {
      reader = tx;
    });
    expectCode(() => reader!.get(b('a')), 'TxClosed');
    expectCode(() => reader!.has(b('a')), 'TxClosed');
    expectCode(() => [...reader!.range()], 'TxClosed');
    let writer: WriteTx | undefined;
    await db.update((tx) => {
      writer = tx;
    });
    expectCode(() => writer!.put(b('b'), b('2')), 'TxClosed');
    expectCode(() => writer!.delete(b('a')), 'TxClosed');
    expectCode(() => writer!.get(b('a')), 'TxClosed');
    expect(allEntries(db)).toEqual([`${hex(b('a'))}=${hex(b('1'))}`]);
  });

  it('throws TxClosed from a range iterator continued after the callback', async () => {
    const db = await newDb();
    await db.update((tx) => {
      for (let i = 0; i < 10; i++) tx.put(bytes(i), bytes(i));
    });
    const started = db.view((tx) => {
      const it = tx.range();
      expect(it.next().value).toEqual([bytes(0), bytes(0)]);
      return it;
    });
    expectCode(() => started.next(), 'TxClosed');
    const fresh = db.view((tx) => tx.range({ reverse: true }));
    expectCode(() => fresh.next(), 'TxClosed');
    const inUpdate = await db.update((tx) => {
      const it = tx.range();
      it.next();
      return it;
    });
    expectCode(() => inUpdate.next(), 'TxClosed');
  });

  it('rejects an async update callback with InvalidArgument and commits nothing', async () => {
    const db = await newDb();
    const seqBefore = db.commitSeq();
    // The writes before the (absent) first await run synchronously: they must be rolled back.
    const err = await expectReject(db.update(async (tx) => {
      tx.put(b('a'), b('1'));
    }), 'InvalidArgument');
    expect(err.message).toMatch(/synchronous/);
    // Writes after an await reach a closed transaction.
    let late: Promise<void> | undefined;
    await expectReject(db.update((tx) => {
      late = (async () => {
        await null;
        tx.put(b('b'), b('2'));
      })();
      return late;
    }), 'InvalidArgument');
    await expectReject(late!, 'TxClosed');
    expect(allEntries(db)).toEqual([]);
    expect(db.commitSeq()).toBe(seqBefore);
  });

  it('rejects an async view callback with InvalidArgument', async () => {
    const db = await newDb();
    expectCode(() => db.view(async () => 1), 'InvalidArgument');
  });

  // Regression: an update started inside another update's callback once committed at once on
  // the pre-outer state and was then overwritten by the outer commit (an acknowledged commit
  // lost). It now waits for the outer commit to be queued and builds on it.
  it('never loses an update issued inside another update callback', async () => {
    const db = await newDb();
    let inner: Promise<unknown> = Promise.resolve();
    await db.update((tx) => {
      tx.put(b('outer'), b('1'));
      inner = db.update((nested) => nested.put(b('inner'), b('2')));
    });
    const outcome = await inner.then(() => 'resolved', (err: unknown) => err);
    if (outcome === 'resolved') expect(db.view((tx) => tx.get(b('inner')))).toEqual(b('2'));
    else expect(isHexxlaError(outcome)).toBe(true);
    expect(db.view((tx) => tx.get(b('outer')))).toEqual(b('1'));
  });

  it('throws DatabaseClosed after close, and close is idempotent', async () => {
    const tmp = await dbs.open();
    const db = tmp.db;
    await db.update((tx) => tx.put(b('k'), b('v')));
    const first = db.close();
    const second = db.close();
    await Promise.all([first, second]);
    await db.close();
    expectCode(() => db.view((tx) => tx.get(b('k'))), 'DatabaseClosed');
    await expectReject(db.update((tx) => tx.put(b('k'), b('w'))), 'DatabaseClosed');
    expectCode(() => db.check(), 'DatabaseClosed');
    // The harness reopens the closed database, checks it and finds the commit.
    const again = await tmp.open();
    expect(again.view((tx) => tx.get(b('k')))).toEqual(b('v'));
  });

  it('rejects an update issued while close is in progress', async () => {
    const db = await newDb();
    const pending = db.update((tx) => tx.put(b('a'), b('1')));
    const closing = db.close();
    await expectReject(db.update((tx) => tx.put(b('b'), b('2'))), 'DatabaseClosed');
    await pending;
    await closing;
  });
});

describe.each<TmpBackend>(['memory', 'disk'])('transaction semantics (%s)', (backend) => {
  it('resolves update with the value the callback returned', async () => {
    const db = await newDb({ backend });
    await expect(db.update(() => 42)).resolves.toBe(42);
    const obj = { n: 1 };
    await expect(db.update((tx) => {
      tx.put(b('k'), b('v'));
      return obj;
    })).resolves.toBe(obj);
    expect(db.view(() => 'read')).toBe('read');
    // An update that writes nothing commits nothing.
    const seq = db.commitSeq();
    await expect(db.update((tx) => tx.get(b('k'))?.length)).resolves.toBe(1);
    expect(db.commitSeq()).toBe(seq);
  });

  it('rolls back earlier writes of an update that a size error aborts', async () => {
    const db = await newDb({ backend });
    await expectReject(db.update((tx) => {
      tx.put(b('a'), b('1'));
      tx.put(b('b'), new Uint8Array(9000));
    }), 'ValueTooLarge');
    await expectReject(db.update((tx) => {
      tx.put(b('c'), b('1'));
      tx.delete(new Uint8Array(300));
    }), 'KeyTooLarge');
    expect(allEntries(db)).toEqual([]);
  });

  it('shows a view opened inside an update callback the durable state only', async () => {
    const db = await newDb({ backend });
    await db.update((tx) => tx.put(b('k'), b('old')));
    await db.update((tx) => {
      tx.put(b('k'), b('new'));
      expect(db.view((inner) => inner.get(b('k')))).toEqual(b('old'));
      expect(db.check().errors).toEqual([]);
    });
    expect(db.view((tx) => tx.get(b('k')))).toEqual(b('new'));
  });

  it('builds a later update on an earlier one that has not resolved yet', async () => {
    const db = await newDb({ backend });
    const first = db.update((tx) => tx.put(b('a'), b('1')));
    const second = db.update((tx) => {
      const seen = tx.get(b('a'));
      tx.put(b('a'), b('2'));
      return seen;
    });
    expect(db.view((tx) => tx.get(b('a')))).toBeUndefined();
    await first;
    expect(await second).toEqual(b('1'));
    expect(db.view((tx) => tx.get(b('a')))).toEqual(b('2'));
  });

  it('rolls back every write of an update whose callback throws', async () => {
    const db = await newDb({ backend });
    await db.update((tx) => {
      for (let i = 0; i < 50; i++) tx.put(bytes(1, i), new Uint8Array(100).fill(i));
    });
    const before = allEntries(db);
    const seq = db.commitSeq();
    const boom = new Error('boom');
    const big = new Prng(3).bytes(8000);
    await expect(db.update((tx) => {
      for (let i = 0; i < 300; i++) tx.put(bytes(2, i), big); // splits and overflow pages
      for (let i = 0; i < 50; i += 2) tx.delete(bytes(1, i)); // merges
      tx.put(bytes(1, 1), b('changed'));
      expect(tx.get(bytes(1, 1))).toEqual(b('changed'));
      throw boom;
    })).rejects.toBe(boom);
    expect(allEntries(db)).toEqual(before);
    expect(db.commitSeq()).toBe(seq);
    // The database keeps working after the rollback.
    await db.update((tx) => tx.put(bytes(3), b('after')));
    expect(db.view((tx) => tx.get(bytes(3)))).toEqual(b('after'));
    expect(db.check().errors).toEqual([]);
  });

  it('does not show an update to a view before the update resolved', async () => {
    const db = await newDb({ backend });
    await db.update((tx) => tx.put(b('k'), b('old')));
    const pending = db.update((tx) => {
      tx.put(b('k'), b('new'));
      tx.put(b('k2'), b('x'));
    });
    expect(db.view((tx) => [tx.get(b('k')), tx.get(b('k2'))])).toEqual([b('old'), undefined]);
    await pending;
    expect(db.view((tx) => [tx.get(b('k')), tx.get(b('k2'))])).toEqual([b('new'), b('x')]);
  });

  it('lands every concurrent update and shares fsyncs between them', async () => {
    const db = await newDb({ backend });
    const base = db.stats();
    const n = 40;
    const results = await Promise.all(Array.from({ length: n }, (_, i) =>
      db.update((tx) => {
        tx.put(bytes(i), bytes(i, i));
        return i;
      })));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i));
    const s = db.stats();
    expect(s.commits - base.commits).toBe(n);
    expect(s.walSyncs - base.walSyncs).toBeLessThan(n);
    expect(s.syncBatchMax).toBeGreaterThan(1);
    expect(db.view((tx) => [...tx.range()].length)).toBe(n);
    db.view((tx) => {
      for (let i = 0; i < n; i++) expect(tx.get(bytes(i))).toEqual(bytes(i, i));
    });
  });

  it('deletes while iterating a range in an update (forward and reverse)', async () => {
    const db = await newDb({ backend });
    const value = new Uint8Array(200).fill(1);
    await db.update((tx) => {
      for (let i = 0; i < 600; i++) tx.put(bytes(i >> 8, i & 255), value);
    });
    const seen = await db.update((tx) => {
      const keys: string[] = [];
      for (const [k] of tx.range()) {
        keys.push(hex(k));
        if ((k[1]! & 1) === 0) expect(tx.delete(k)).toBe(true);
      }
      return keys;
    });
    expect(seen.length).toBe(600);
    expect(new Set(seen).size).toBe(600);
    expect(db.view((tx) => [...tx.range()].every(([k]) => (k[1]! & 1) === 1))).toBe(true);
    const reversed = await db.update((tx) => {
      const keys: string[] = [];
      for (const [k] of tx.range({ reverse: true })) {
        keys.push(hex(k));
        tx.delete(k);
        if (keys.length % 7 === 0) tx.put(bytes(9, keys.length), value); // beyond the scan
      }
      return keys;
    });
    expect(reversed.length).toBe(300);
    expect(reversed).toEqual([...reversed].sort().reverse());
    expect(db.view((tx) => [...tx.range()].map(([k]) => k[0]))).toEqual(
      new Array(Math.floor(300 / 7)).fill(9));
  });

  it('scans ranges forward and in reverse with start, end and limit', async () => {
    const db = await newDb({ backend });
    await db.update((tx) => {
      for (let i = 0; i < 100; i++) tx.put(bytes(i), bytes(i));
    });
    const keys = (opts: Parameters<ReadTx['range']>[0]): number[] =>
      db.view((tx) => [...tx.range(opts)].map(([k]) => k[0]!));
    const span = (from: number, to: number): number[] =>
      Array.from({ length: to - from }, (_, i) => from + i);
    expect(keys({})).toEqual(span(0, 100));
    expect(keys({ start: bytes(10), end: bytes(20) })).toEqual(span(10, 20));
    expect(keys({ start: bytes(10), end: bytes(20), reverse: true })).toEqual(
      span(10, 20).reverse());
    expect(keys({ reverse: true, limit: 3 })).toEqual([99, 98, 97]);
    expect(keys({ start: bytes(95), limit: 10 })).toEqual(span(95, 100));
    expect(keys({ end: bytes(3), reverse: true })).toEqual([2, 1, 0]);
    expect(keys({ limit: 0 })).toEqual([]);
    expect(keys({ limit: 0, reverse: true })).toEqual([]);
    expect(keys({ start: bytes(50), end: bytes(50) })).toEqual([]);
    expect(keys({ start: bytes(60), end: bytes(50) })).toEqual([]);
    expect(keys({ start: bytes(60), end: bytes(50), reverse: true })).toEqual([]);
    expect(keys({ start: bytes(200) })).toEqual([]);
    db.view((tx) => {
      expectCode(() => [...tx.range({ limit: -1 })], 'InvalidArgument');
      expectCode(() => [...tx.range({ limit: 1.5 })], 'InvalidArgument');
    });
  });

  it('orders keys that are prefixes of each other bytewise', async () => {
    const db = await newDb({ backend });
    const ks = [bytes(1), bytes(1, 0), bytes(1, 0, 0), bytes(1, 1), bytes(1, 255), bytes(2),
      bytes(0), bytes(0, 255), bytes(255), bytes(255, 255, 255)];
    await db.update((tx) => {
      for (const [i, k] of ks.entries()) tx.put(k, bytes(i));
    });
    const sorted = [...ks].sort(Buffer.compare).map(hex);
    expect(db.view((tx) => [...tx.range()].map(([k]) => hex(k)))).toEqual(sorted);
    expect(db.view((tx) => [...tx.range({ reverse: true })].map(([k]) => hex(k))))
      .toEqual([...sorted].reverse());
    // [1] ≤ k < [1, 1]: the key itself and its longer zero-extensions.
    expect(db.view((tx) => [...tx.range({ start: bytes(1), end: bytes(1, 1) })]
      .map(([k]) => hex(k)))).toEqual(['01', '0100', '010000']);
    expect(db.view((tx) => [tx.get(bytes(1, 0))?.[0], tx.get(bytes(1, 0, 0, 0))]))
      .toEqual([1, undefined]);
    await db.update((tx) => expect(tx.delete(bytes(1, 0))).toBe(true));
    expect(db.view((tx) => [tx.has(bytes(1)), tx.has(bytes(1, 0)), tx.has(bytes(1, 0, 0))]))
      .toEqual([true, false, true]);
  });

  it('round-trips compressible and incompressible values of every size class exactly', async () => {
    const tmp = await dbs.open({ backend, maxValueBytes: 65_536 });
    const prng = new Prng(4);
    // 64: compression threshold; 699: inline limit of 4 KiB pages; 4080: overflow page payload.
    const sizes = [0, 1, 63, 64, 65, 100, 500, 698, 699, 700, 1000, 4080, 4081, 8160, 8161, 20_000,
      65_536];
    const values = new Map<string, Uint8Array>();
    for (const size of sizes) {
      values.set(`rand-${size}`, prng.bytes(size));
      values.set(`zero-${size}`, new Uint8Array(size));
      const text = b('the user prefers dark mode; '.repeat(Math.ceil(size / 28) + 1));
      values.set(`text-${size}`, text.slice(0, size));
      const half = prng.bytes(size);
      half.fill(0, size >> 1);
      values.set(`half-${size}`, half);
    }
    await tmp.db.update((tx) => {
      for (const [k, v] of values) tx.put(b(k), v);
    });
    const verify = (db: Database): void => db.view((tx) => {
      for (const [k, v] of values) expect(hex(tx.get(b(k))!), k).toBe(hex(v));
    });
    verify(tmp.db);
    const stats = tmp.db.check({ verifyValues: true }).stats;
    expect(stats.overflowPages).toBeGreaterThan(0);
    verify(await tmp.reopen({ cacheBytes: 0 }));
  });
});

describe('buffer ownership', () => {
  it('stores subarray views of larger buffers exactly (keys and values)', async () => {
    const tmp = await dbs.open({ maxValueBytes: 65_536 });
    const backing = new Prng(7).bytes(70_000);
    backing.fill(0x20, 30_000, 50_000); // a compressible stretch
    const cases: [string, number, number][] = [['small', 3, 40], ['compressible', 30_001, 2000],
      ['random inline', 101, 600], ['random overflow', 7, 20_000],
      ['compressible overflow', 29_999, 20_002], ['maximal', 1, 65_536]];
    await tmp.db.update((tx) => {
      for (const [, offset, length] of cases) {
        tx.put(backing.subarray(offset, offset + 16), backing.subarray(offset, offset + length));
      }
    });
    const verify = (db: Database): void => db.view((tx) => {
      for (const [name, offset, length] of cases) {
        const key = backing.slice(offset, offset + 16);
        expect(hex(tx.get(key)!), name).toBe(hex(backing.subarray(offset, offset + length)));
      }
    });
    verify(tmp.db);
    verify(await tmp.reopen());
  });

  it('copies keys and values on put and hands out copies on get and range', async () => {
    const db = await newDb({ maxValueBytes: 65_536 });
    const sizes = [10, 200, 5000, 30_000];
    const originals = sizes.map((n) => new Prng(n).bytes(n));
    await db.update((tx) => {
      sizes.forEach((n, i) => {
        const key = bytes(i);
        const value = originals[i]!.slice();
        tx.put(key, value);
        key[0] = 99; // the caller reuses its buffers
        value.fill(0xee);
        expect(hex(tx.get(bytes(i))!)).toBe(hex(originals[i]!));
      });
    });
    db.view((tx) => {
      for (let i = 0; i < sizes.length; i++) tx.get(bytes(i))!.fill(0xdd);
      for (const [k, v] of tx.range()) {
        k[0] = 77;
        v.fill(0xcc);
      }
    });
    db.view((tx) => {
      expect(tx.has(bytes(99))).toBe(false);
      sizes.forEach((_, i) => expect(hex(tx.get(bytes(i))!)).toBe(hex(originals[i]!)));
    });
  });
});

describe('files', () => {
  it('keeps the pageSize and maxValueBytes of an existing file whatever the options', async () => {
    const tmp = await dbs.open({ pageSize: 8192, maxValueBytes: 1024 });
    await tmp.db.update((tx) => tx.put(b('k'), new Uint8Array(1024)));
    const db = await tmp.reopen({ pageSize: 16_384, maxValueBytes: 4096 });
    expect([db.pageSize(), db.maxValueBytes()]).toEqual([8192, 1024]);
    await expectReject(db.update((tx) => tx.put(b('k2'), new Uint8Array(1025))), 'ValueTooLarge');
    expect(db.view((tx) => tx.get(b('k'))?.length)).toBe(1024);
  });

  it('fails with NotFound for create: false on a missing path', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    await expectReject(open('/d/missing.db', { fs, create: false }), 'NotFound');
    expect(fs.list('/d')).toEqual([]);
  });

  it.each([
    ['random garbage', (p: Prng) => p.bytes(16_384)],
    ['a short file', (p: Prng) => p.bytes(100)],
    ['an empty file', () => new Uint8Array(0)],
    ['zeros', () => new Uint8Array(8192)],
  ])('fails with CorruptDatabase on %s', async (_name, make) => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/d');
    fs.writeFile('/d/garbage.db', make(new Prng(5)));
    await expectReject(open('/d/garbage.db', { fs }), 'CorruptDatabase');
  });

  it('fails with CorruptDatabase on a garbage file on disk', async () => {
    const tmp = dbs.create({ backend: 'disk', check: false });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tmp.path, new Prng(6).bytes(20_000));
    await expectReject(tmp.open(), 'CorruptDatabase');
  });

  it('fails with UnsupportedFormat on a file of a newer format version', async () => {
    const tmp = await dbs.open({ check: false });
    await tmp.db.update((tx) => tx.put(b('k'), b('v')));
    await tmp.db.close();
    const fs = tmp.memory!;
    const image = fs.readFile(tmp.path);
    let patched = 0;
    for (const offset of [0, 2048]) {
      // Slot: magic at 0..8, formatVersion u32 at 8, crc32 of bytes 0..252 at 252.
      const slot = image.subarray(offset, offset + 256);
      if (Buffer.from(slot.subarray(0, 8)).toString('latin1') !== 'HEXXLADB') continue;
      const dv = new DataView(slot.buffer, slot.byteOffset, 256);
      if (dv.getUint32(252, true) !== crc32(slot.subarray(0, 252))) continue;
      dv.setUint32(8, 3, true);
      dv.setUint32(252, crc32(slot.subarray(0, 252)), true);
      patched++;
    }
    expect(patched).toBeGreaterThan(0);
    fs.writeFile(tmp.path, image);
    const err = await expectReject(tmp.open(), 'UnsupportedFormat');
    expect(err.message).toMatch(/version 3/);
  });
});

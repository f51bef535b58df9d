/**
 * Goal: walkRing and loadContext (SPEC §3.2 walk-ring, §10.3 loadContext) return the cells around
 * a centre in spiral order (ring 0, ring 1, …, the order of src/coord's `spiral`) with the right
 * ring numbers, the facets the 6-bit mask selects, the validity filter (validFrom ≤ t ≤ validTo,
 * open ends pass) and the maxCells cut, on format v1 and MVCC format v2, and refuse bad
 * arguments with typed errors.
 * Method: a temporary database per test (checked and reopened by the harness); the expected walk
 * is computed from `spiral` and an in-memory map of the cells written. One test fills a seeded
 * random area and compares every centre and radius against that model.
 */
import { describe, expect, it } from 'vitest';
import {
  coord, coordComponentMax, distance, spiral, type Coord,
} from '../../src/coord/index.js';
import type { Cell, FacetId } from '../../src/engine/records.js';
import type { WalkOptions } from '../../src/model/types.js';
import { walkRadiusMax } from '../../src/model/ring-walk.js';
import { expectErrorCode } from '../engine/helpers.js';
import { Prng } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const key = (c: Coord): string => `${c.q},${c.r}`;
const content = (c: Coord): string => `cell ${key(c)}`;

/** The coordinates of `present` within `radius` of `center`, in spiral order. */
function expectedWalk(center: Coord, radius: number, present: ReadonlySet<string>): Coord[] {
  return spiral(center, radius).filter((c) => present.has(key(c)));
}

const walked = (cells: readonly { cell: Cell }[]): Coord[] => cells.map((x) => x.cell.coord);

describe.each([false, true])('walkRing and loadContext (mvcc %s)', (mvcc) => {
  const center = coord(3, -2);
  // Cells on rings 0…3 around the centre (several per ring, out of key order) and beyond.
  const coords = [
    coord(3, -2), coord(4, -2), coord(2, -1), coord(3, -3), coord(5, -2), coord(1, -1),
    coord(3, 0), coord(6, -5), coord(0, 1), coord(7, -2), coord(-10, 4), coord(3, -9),
  ];
  const present = new Set(coords.map(key));

  async function seeded() {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      for (const c of [...coords].reverse()) tx.putCell({ coord: c, rawContent: content(c) });
    });
    return tmp;
  }

  it('walks the cells in spiral order with their ring numbers', async () => {
    const tmp = await seeded();
    for (const radius of [0, 1, 2, 3, 4, 8]) {
      const ring = tmp.db.view((tx) => tx.walkRing(center, radius));
      expect(walked(ring)).toEqual(expectedWalk(center, radius, present));
      for (const x of ring) {
        expect(x.ring).toBe(distance(center, x.cell.coord));
        expect(x.cell.rawContent).toBe(content(x.cell.coord));
        expect(x.facets).toEqual([]);
      }
    }
    expect(walked(tmp.db.view((tx) => tx.walkRing(center, 2))).map(key))
      .toEqual(['3,-2', '4,-2', '3,-3', '2,-1', '5,-2', '1,-1', '3,0']);
    expect(tmp.db.view((tx) => tx.walkRing(coord(100, 100), 5))).toEqual([]);
  });

  it('returns the facets the mask selects, by id', async () => {
    const tmp = await seeded();
    await tmp.db.update((tx) => {
      for (const id of [1, 2, 5] as const) {
        tx.putFacet(center, { id, derivedContent: `facet ${id}` });
      }
      tx.putFacet(coord(4, -2), { id: 3, derivedContent: 'mirror' });
    });
    const ids = (opts: WalkOptions): FacetId[][] => tmp.db.view((tx) =>
      tx.walkRing(center, 1, opts).map((x) => x.facets.map((f) => f.id)));
    expect(ids({ facetMask: 0 })).toEqual([[], [], [], []]);
    expect(ids({ facetMask: 0b1 })).toEqual([[0], [0], [0], [0]]);
    expect(ids({ facetMask: 0b100101 })).toEqual([[0, 2, 5], [0], [0], [0]]);
    expect(ids({ facetMask: 0b001010 })).toEqual([[1], [3], [], []]);
    expect(ids({ facetMask: 63 })).toEqual([[0, 1, 2, 5], [0, 3], [0], [0]]);
    const [first] = tmp.db.view((tx) => tx.walkRing(center, 0, { facetMask: 0b100 }));
    expect(first?.facets).toEqual([tmp.db.view((tx) => tx.getFacet(center, 2))]);
  });

  it('filters by validity at a time, inclusive, open ends passing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const windows: [Coord, { validFromMs?: number; validToMs?: number }][] = [
      [coord(0, 0), {}],
      [coord(1, 0), { validFromMs: 100 }],
      [coord(1, -1), { validToMs: 200 }],
      [coord(0, -1), { validFromMs: 100, validToMs: 200 }],
      [coord(-1, 0), { validFromMs: 150, validToMs: 150 }],
      [coord(-1, 1), { validFromMs: -500, validToMs: -400 }],
    ];
    await tmp.db.update((tx) => {
      for (const [c, validity] of windows) tx.putCell({ coord: c, rawContent: 'v', validity });
    });
    const at = (t: number | undefined): string[] => tmp.db.view((tx) =>
      walked(tx.walkRing(coord(0, 0), 1, t === undefined ? {} : { validAtMs: t })).map(key));
    expect(at(undefined)).toEqual(['0,0', '1,0', '1,-1', '0,-1', '-1,0', '-1,1']);
    expect(at(99)).toEqual(['0,0', '1,-1']);
    expect(at(100)).toEqual(['0,0', '1,0', '1,-1', '0,-1']);
    expect(at(150)).toEqual(['0,0', '1,0', '1,-1', '0,-1', '-1,0']);
    expect(at(200)).toEqual(['0,0', '1,0', '1,-1', '0,-1']);
    expect(at(201)).toEqual(['0,0', '1,0']);
    expect(at(-450)).toEqual(['0,0', '1,-1', '-1,1']);
  });

  it('loadContext takes at most maxCells in walk order', async () => {
    const tmp = await seeded();
    const all = walked(tmp.db.view((tx) => tx.walkRing(center, 3)));
    expect(all.length).toBe(9);
    for (const maxCells of [0, 1, 4, 9, 10, 1000]) {
      const cells = tmp.db.view((tx) => tx.loadContext(center, 3, maxCells));
      expect(cells.map((c) => c.coord)).toEqual(all.slice(0, maxCells));
    }
    expect(tmp.db.view((tx) => tx.loadContext(center, 0, 5)).map((c) => c.coord))
      .toEqual([center]);
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.loadContext(center, 8, 100)).map((c) => c.coord))
      .toEqual(expectedWalk(center, 8, present));
  });

  it('sees the snapshot it reads at, including deletes and own writes', async () => {
    const tmp = await seeded();
    const seq = tmp.db.commitSeq();
    const inside = await tmp.db.update((tx) => {
      tx.deleteCell(coord(4, -2));
      tx.putCell({ coord: coord(4, -3), rawContent: 'new' });
      return walked(tx.walkRing(center, 1)).map(key);
    });
    const after = ['3,-2', '4,-3', '3,-3', '2,-1'];
    expect(inside).toEqual(after);
    expect(walked(tmp.db.view((tx) => tx.walkRing(center, 1))).map(key)).toEqual(after);
    if (mvcc) {
      expect(tmp.db.viewAt(seq, (tx) => walked(tx.walkRing(center, 1)).map(key)))
        .toEqual(['3,-2', '4,-2', '3,-3', '2,-1']);
    }
  });

  it('refuses bad arguments with typed errors', async () => {
    const tmp = await seeded();
    const edge = coord(coordComponentMax, 0);
    tmp.db.view((tx) => {
      const walk = (c: unknown, radius: unknown, opts?: unknown) => () =>
        tx.walkRing(c as Coord, radius as number, opts as WalkOptions);
      const load = (c: unknown, radius: unknown, max: unknown) => () =>
        tx.loadContext(c as Coord, radius as number, max as number);
      for (const radius of [-1, 1.5, NaN, Infinity, walkRadiusMax + 1, '2', undefined]) {
        expectErrorCode(walk(center, radius), 'InvalidArgument');
        expectErrorCode(load(center, radius, 5), 'InvalidArgument');
      }
      for (const facetMask of [-1, 64, 1.5, NaN, '3']) {
        expectErrorCode(walk(center, 1, { facetMask }), 'InvalidArgument');
      }
      for (const validAtMs of [1.5, NaN, 2 ** 53, '5']) {
        expectErrorCode(walk(center, 1, { validAtMs }), 'InvalidArgument');
      }
      expectErrorCode(walk(center, 1, null), 'InvalidArgument');
      expectErrorCode(walk(center, 1, 7), 'InvalidArgument');
      for (const maxCells of [-1, 0.5, NaN, Infinity, '3']) {
        expectErrorCode(load(center, 1, maxCells), 'InvalidArgument');
      }
      for (const bad of [null, { q: 0 }, { q: 0.5, r: 0 }, { q: 2 ** 31, r: 0 }]) {
        expectErrorCode(walk(bad, 1), 'InvalidCoordinate');
        expectErrorCode(load(bad, 1, 5), 'InvalidCoordinate');
      }
      // The area may not leave the coordinate range (walks never clip or wrap).
      expectErrorCode(walk(edge, 1), 'InvalidCoordinate');
      expectErrorCode(load(edge, 1, 0), 'InvalidCoordinate');
      expect(tx.walkRing(edge, 0)).toEqual([]);
      expect(walked(tx.walkRing(center, 20)).length)
        .toBe(present.size);
    });
  });
});

describe('walkRing against a model', () => {
  it('matches spiral order over a seeded random area', async () => {
    const prng = new Prng(20240603);
    const tmp = await tmpDb.open({ mvcc: true });
    const present = new Set<string>();
    // Fill roughly a third of the radius-12 area around the origin, then delete some again.
    const area = spiral(coord(0, 0), 12);
    await tmp.db.update((tx) => {
      for (const c of area) {
        if (prng.int(3) !== 0) continue;
        tx.putCell({ coord: c, rawContent: content(c) });
        present.add(key(c));
      }
    });
    await tmp.db.update((tx) => {
      for (const c of area) {
        if (!present.has(key(c)) || prng.int(5) !== 0) continue;
        tx.deleteCell(c);
        present.delete(key(c));
      }
    });
    tmp.db.view((tx) => {
      for (let i = 0; i < 40; i++) {
        const center = coord(prng.int(21) - 10, prng.int(21) - 10);
        const radius = prng.int(7);
        const ring = tx.walkRing(center, radius);
        expect(walked(ring)).toEqual(expectedWalk(center, radius, present));
        expect(ring.map((x) => x.ring)).toEqual(ring.map((x) => distance(center, x.cell.coord)));
        const maxCells = prng.int(ring.length + 2);
        expect(tx.loadContext(center, radius, maxCells).map((c) => c.coord))
          .toEqual(walked(ring).slice(0, maxCells));
      }
    });
  });
});

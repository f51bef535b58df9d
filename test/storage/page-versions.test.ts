/**
 * Goal: the page-version map (src/storage/page-versions.ts) always names, for every page, the seq
 * of the commit that last wrote it: the version its seal was made with.
 *
 * Uses a tiny geometry (6 versions per leaf, 4 children per inner node) so that a few hundred
 * pages grow the root through several levels, and a fake transaction that keeps each committed
 * node as encoded → decoded bytes (the page format round trip) together with the seq it was
 * written at. Properties checked, after every commit of a seeded random workload:
 * - lookupVersion(p) equals the model's last write of p for every data page, and every version
 *   node loaded (by lookups and by stamping) is asked for with exactly the version it was
 *   written with;
 * - walkVersionNodes visits each node once, with the version it was written with, and
 *   versionTable agrees with the model for every page, version nodes included;
 * - decoding refuses a node level beyond the maximum (CorruptDatabase).
 */
import { describe, expect, it } from 'vitest';
import { isHexxlaError } from '../../src/errors.js';
import { decodePage, encodePage } from '../../src/storage/page.js';
import type { PageNode } from '../../src/storage/page.js';
import {
  lookupVersion, stampVersions, versionRootPage, versionTable, walkVersionNodes,
} from '../../src/storage/page-versions.js';
import type { VersionGeometry, VersionStamper } from '../../src/storage/page-versions.js';
import { VersionNode, versionLevelsMax } from '../../src/storage/version-node.js';
import { mulberry32 } from '../fault/prng.js';

const usable = 16 + 6 * 8; // 6 versions per leaf, 4 children per inner node
const geo: VersionGeometry = { usable, leafCap: 6, innerCap: 4 };

function roundTrip(node: PageNode, pageNo: number): PageNode {
  const buf = new Uint8Array(usable);
  encodePage(node, pageNo, buf, new DataView(buf.buffer), 0, usable);
  return decodePage(buf, pageNo, usable, 'test');
}

/** Committed pages with the seq each was written at; `dirty` is the open transaction. */
class FakeStore implements VersionStamper {
  readonly pages = new Map<number, { node: PageNode; seq: number }>();
  dirty = new Map<number, PageNode>();
  pageCount = 2;

  constructor() {
    this.pages.set(versionRootPage, { node: VersionNode.empty(1, usable), seq: 0 });
  }

  writeVersionNode(pageNo: number, version: number): PageNode {
    const mine = this.dirty.get(pageNo);
    if (mine !== undefined) return mine;
    const node = this.load(pageNo, version) as VersionNode;
    const copy = node.clone();
    this.dirty.set(pageNo, copy);
    return copy;
  }

  putDirty(pageNo: number, node: PageNode): void {
    this.dirty.set(pageNo, node);
  }

  extend(): number {
    return this.pageCount++;
  }

  commit(seq: number): void {
    for (const [pageNo, node] of this.dirty) {
      const kept = node.type === 5 ? roundTrip(node, pageNo) : node;
      this.pages.set(pageNo, { node: kept, seq });
    }
    this.dirty = new Map();
  }

  /** Loads a page, asserting it is asked for with the version it was written with. */
  load = (pageNo: number, version: number): PageNode => {
    const page = this.pages.get(pageNo);
    if (page === undefined) throw new Error(`page ${pageNo} was never written`);
    if (page.seq !== version) {
      throw new Error(`page ${pageNo} asked for with version ${version}, written at ${page.seq}`);
    }
    return page.node;
  };
}

const dataPage = { type: 3, next: 0, data: new Uint8Array(0) } as unknown as PageNode;

describe('page-version map', () => {
  it('names the last writing commit of every page through root growth', () => {
    const seed = Number(process.env.HEXXLA_SEED ?? Date.now() % 1e9);
    console.info(`page-versions test: seed ${seed} (replay with HEXXLA_SEED=${seed})`);
    const rnd = mulberry32(seed);
    const store = new FakeStore();
    const dataPages: number[] = [];
    for (let seq = 1; seq <= 120; seq++) {
      const grow = 1 + Math.floor(rnd() * 6);
      for (let i = 0; i < grow; i++) {
        const pageNo = store.extend();
        dataPages.push(pageNo);
        store.putDirty(pageNo, dataPage);
      }
      for (let i = 0; i < 3 && dataPages.length > 0; i++) {
        store.putDirty(dataPages[Math.floor(rnd() * dataPages.length)]!, dataPage);
      }
      stampVersions(store, geo, seq, seq - 1, 'test');
      store.commit(seq);
      for (const p of dataPages) {
        expect(lookupVersion(geo, p, seq, store.load, 'test'), `page ${p} at seq ${seq}`)
          .toBe(store.pages.get(p)!.seq);
      }
    }
    const root = store.pages.get(versionRootPage)!.node as VersionNode;
    expect(root.level).toBeGreaterThanOrEqual(3);
    const seen = new Set<number>();
    walkVersionNodes(geo, 120, store.load, 'test', ({ pageNo }) => {
      expect(seen.has(pageNo)).toBe(false);
      seen.add(pageNo);
      return true;
    });
    const nodes = [...store.pages].filter(([, p]) => p.node.type === 5).map(([n]) => n);
    expect([...seen].sort((a, b) => a - b)).toEqual(nodes.sort((a, b) => a - b));
    const table = versionTable(geo, store.pageCount, 120, store.load, 'test');
    for (let p = 1; p < store.pageCount; p++) expect(table[p]).toBe(store.pages.get(p)!.seq);
  });

  it('refuses a node whose level is out of range', () => {
    const node = VersionNode.empty(1, usable);
    node.level = versionLevelsMax + 1;
    const buf = new Uint8Array(usable);
    encodePage(node, 7, buf, new DataView(buf.buffer), 0, usable);
    let caught: unknown;
    try {
      decodePage(buf, 7, usable, 'test');
    } catch (err) {
      caught = err;
    }
    expect(isHexxlaError(caught, 'CorruptDatabase')).toBe(true);
  });
});

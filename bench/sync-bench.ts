/**
 * How fast can this machine make 4 KiB durable, one write at a time? Not a test: it prints
 * figures. W2 (sequential durable commits) can never beat the fastest line; the engine uses the
 * first one (write, then an async fdatasync on the libuv pool, as the log writer does).
 *
 * Variants, each on a preallocated, fsynced 8 MiB file (overwrites: no size change to journal):
 *   write + fdatasync (async)          the engine's way
 *   write + fdatasyncSync              the same without the hop to the libuv pool
 *   write on an O_DSYNC fd             the write returns once durable (one syscall)
 *   async write on an O_DSYNC fd       the same on the libuv pool
 *   write on an O_DIRECT|O_DSYNC fd    bypasses the page cache as well (needs aligned memory)
 * Rounds are interleaved, because this machine kind's disk latency drifts by 2x within minutes.
 * Usage: npm run bench:sync [-- --dir DIR --rounds N --writes N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    writes: { type: 'string', default: '300' },
  },
});
const rounds = Number(args.rounds);
const writes = Number(args.writes);
const block = 4096;
const fileBytes = 8 << 20;

/**
 * O_DIRECT needs a buffer whose address is block-aligned, which JS cannot ask for: take a large
 * allocation and find the offset at which the kernel accepts a direct write.
 */
function alignedOffset(fd: number, big: Buffer): number {
  for (let o = 0; o < block; o += 16) {
    try {
      fs.writeSync(fd, big, o, block, 0);
      return o;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  throw new Error('no aligned offset found for O_DIRECT');
}

async function timed(fn: (i: number) => void | Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < writes; i++) await fn(i);
  return ((performance.now() - t0) / writes) * 1000;
}

async function main(): Promise<void> {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-sync-'));
  const file = path.join(dir, 'sync.bin');
  const init = fs.openSync(file, 'w+');
  fs.writeSync(init, Buffer.alloc(fileBytes));
  fs.fsyncSync(init);
  fs.closeSync(init);
  const c = fs.constants;
  const plain = fs.openSync(file, 'r+');
  const dsync = fs.openSync(file, c.O_RDWR | c.O_DSYNC);
  let direct: number | null = null;
  const big = Buffer.allocUnsafeSlow(1 << 20).fill(7);
  let off = 0;
  try {
    direct = fs.openSync(file, c.O_RDWR | c.O_DIRECT | c.O_DSYNC);
    off = alignedOffset(direct, big);
  } catch (err) {
    console.log(`O_DIRECT not available here: ${(err as Error).message}`);
  }
  const at = (i: number): number => (i % (fileBytes / block)) * block;
  const variants: Array<[string, (i: number) => void | Promise<void>]> = [
    ['write + fdatasync (async)', (i) => {
      fs.writeSync(plain, big, 0, block, at(i));
      return new Promise<void>((res, rej) => fs.fdatasync(plain, (e) => (e ? rej(e) : res())));
    }],
    ['write + fdatasyncSync', (i) => {
      fs.writeSync(plain, big, 0, block, at(i));
      fs.fdatasyncSync(plain);
    }],
    ['write on an O_DSYNC fd', (i) => void fs.writeSync(dsync, big, 0, block, at(i))],
    ['async write on an O_DSYNC fd', (i) => new Promise<void>((res, rej) =>
      fs.write(dsync, big, 0, block, at(i), (e) => (e ? rej(e) : res())))],
  ];
  if (direct !== null) {
    const fd = direct;
    variants.push(['write on an O_DIRECT|O_DSYNC fd', (i) => void fs.writeSync(fd, big, off,
      block, at(i))]);
  }
  console.log(`4 KiB durable writes, ${writes} per round, node ${process.version}`);
  const all = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of variants) {
      const us = await timed(fn);
      all.set(name, [...(all.get(name) ?? []), us]);
    }
  }
  for (const [name, list] of all) {
    const sorted = [...list].sort((a, b) => a - b);
    const fmt = (us: number): string => `${us.toFixed(0)} us (${Math.round(1e6 / us)}/s)`;
    console.log(`${name.padEnd(34)} median ${fmt(sorted[sorted.length >> 1]!)}, ` +
      `rounds ${list.map((us) => us.toFixed(0)).join(' / ')} us`);
  }
  for (const fd of [plain, dsync, direct]) if (fd !== null) fs.closeSync(fd);
  fs.rmSync(file);
  if (args.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
}

await main();

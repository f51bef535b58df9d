/**
 * Directory-entry changes (create, rename, remove, mkdir) not yet made durable, and the rules for
 * which of them a directory sync commits and which survive a simulated crash.
 *
 * Model (documented, deliberately simple): each change names the directories whose entries it
 * alters (`dirs`), the keys it changes (`provides`: paths, and the inode it creates) and the keys
 * it needs (`requires`: parent directory, the inode it moves). `syncDirectory(d)` commits every
 * change issued before the call that alters `d`, plus, transitively, the earlier changes those
 * depend on (an earlier change providing a key they provide or require — so a file's creation
 * commits with its rename, and a new directory with the first synced entry inside it, like soft
 * updates). A crash keeps, of the uncommitted changes: none ('drop'), all ('keep-all'), an
 * issue-order prefix ('torn'), or a dependency-closed random subset ('keep-some'). Renames stay
 * atomic: the target name holds either the old or the new file, never neither.
 *
 * Consequence for tests: syncing only the new file's directory also makes a freshly created parent
 * directory durable (a stricter POSIX reading would need a sync of the grandparent too).
 */
import type { CrashMode } from './faulty-inode.js';
import type { Namespace } from './namespace.js';
import { parentOf } from './namespace.js';
import type { Prng } from './prng.js';

/** One directory-entry change; `apply` replays it on a (durable) tree without checks. */
export interface NamespaceOp<T> {
  readonly seq: number;
  readonly kind: 'create' | 'rename' | 'remove' | 'mkdir';
  readonly dirs: readonly string[];
  readonly provides: readonly string[];
  readonly requires: readonly string[];
  apply(tree: Namespace<T>): void;
}

const pathKey = (p: string): string => `path:${p}`;
const inodeKey = (id: number): string => `inode:${id}`;

/** The creation of file `p` holding `inode`. */
export function createOp<T>(seq: number, p: string, inode: T, inodeId: number): NamespaceOp<T> {
  return {
    seq,
    kind: 'create',
    dirs: [parentOf(p)],
    provides: [pathKey(p), inodeKey(inodeId)],
    requires: [pathKey(parentOf(p))],
    apply: (tree) => void tree.files.set(p, inode),
  };
}

/** The rename of file `source` (holding `inode`) to `target`. */
export function renameOp<T>(
  seq: number,
  paths: { source: string; target: string },
  inode: T,
  inodeId: number,
): NamespaceOp<T> {
  const { source, target } = paths;
  return {
    seq,
    kind: 'rename',
    dirs: [...new Set([parentOf(source), parentOf(target)])],
    provides: [pathKey(source), pathKey(target)],
    requires: [inodeKey(inodeId), pathKey(parentOf(target))],
    apply: (tree) => {
      tree.files.delete(source);
      tree.files.set(target, inode);
    },
  };
}

/** The removal of file `p`. */
export function removeOp<T>(seq: number, p: string): NamespaceOp<T> {
  return {
    seq,
    kind: 'remove',
    dirs: [parentOf(p)],
    provides: [pathKey(p)],
    requires: [],
    apply: (tree) => void tree.files.delete(p),
  };
}

/** The creation of directory `dir` (its parent exists). */
export function mkdirOp<T>(seq: number, dir: string): NamespaceOp<T> {
  return {
    seq,
    kind: 'mkdir',
    dirs: [parentOf(dir)],
    provides: [pathKey(dir)],
    requires: [pathKey(parentOf(dir))],
    apply: (tree) => void tree.dirs.add(dir),
  };
}

/** The changes a completed `syncDirectory(dir)` issued at `watermark` makes durable. */
export function selectForDirectorySync<T>(
  ops: readonly NamespaceOp<T>[],
  dir: string,
  watermark: number,
): Set<NamespaceOp<T>> {
  const selected = new Set<NamespaceOp<T>>();
  const needed = new Set<string>();
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    if (op === undefined || op.seq > watermark) continue;
    if (!op.dirs.includes(dir) && !op.provides.some((key) => needed.has(key))) continue;
    selected.add(op);
    for (const key of [...op.provides, ...op.requires]) needed.add(key);
  }
  return selected;
}

/** The uncommitted changes that survive a crash in `mode`, in issue order. */
export function selectForCrash<T>(
  ops: readonly NamespaceOp<T>[],
  mode: CrashMode,
  rng: Prng,
): NamespaceOp<T>[] {
  switch (mode) {
    case 'drop':
      return [];
    case 'keep-all':
      return [...ops];
    case 'torn':
      return ops.slice(0, rng.int(ops.length + 1));
    case 'keep-some': {
      const lost = new Set<string>();
      return ops.filter((op) => {
        const blocked = [...op.provides, ...op.requires].some((key) => lost.has(key));
        if (!blocked && rng.bool()) return true;
        for (const key of op.provides) lost.add(key);
        return false;
      });
    }
  }
}

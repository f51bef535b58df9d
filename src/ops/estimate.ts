/**
 * A cheap estimate of the entries in a tree, for progress reporting: walk the branch pages
 * (about 1% of a tree's pages) to count the leaves, and multiply by the entries of the first
 * leaf. Exact for a one-leaf tree; otherwise a hint (leaves fill between half and full).
 */
import { pageTypeBranch, pageTypeLeaf } from '../storage/page.js';
import type { StoreReadTx } from '../storage/tx.js';

/** Estimated entries in the tree `tx` reads (0 for an empty tree). Reads branch pages only. */
export function estimateEntries(tx: StoreReadTx): number {
  if (tx.rootPage === 0) return 0;
  let level = [tx.rootPage];
  for (;;) {
    const first = tx.read(level[0]!);
    if (first.type === pageTypeLeaf) return level.length * first.keys.length;
    if (first.type !== pageTypeBranch) return 0;
    const next: number[] = [];
    for (const pageNo of level) {
      const node = tx.read(pageNo);
      if (node.type === pageTypeBranch) next.push(...node.children);
    }
    level = next;
  }
}

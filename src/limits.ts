/**
 * Every bound of the engine, with the reason for its value. Options are validated against these at
 * open(); module-load assertions tie related limits together.
 */
import { assert } from './assert.js';

/** Page sizes a database may be created with (SPEC §4.3). Fixed at creation. */
export const pageSizesAllowed = [4096, 8192, 16384, 65536] as const;
export const pageSizeDefault = 4096;

/**
 * Longest user key (SPEC §4.3). Internal tree keys add a family prefix and, under MVCC, an 8-byte
 * commit seq suffix, so the tree itself accepts up to `treeKeyBytesMax`.
 */
export const keyBytesMax = 256;
/** 1 namespace byte + 256 user bytes + up to 55 bytes of family framing and the seq suffix. */
export const treeKeyBytesMax = 312;

/** Bounds of the per-database value limit (SPEC §4.3), fixed at creation. */
export const valueBytesMaxMin = 512;
export const valueBytesMaxMax = 1_048_576;
export const valueBytesMaxDefault = 8192;

/** Values of this many bytes or more are DEFLATE-compressed when that makes them smaller. */
export const compressBytesMin = 64;

/** Bytes of the common page header (see docs/format.md "Page header"). */
export const pageHeaderBytes = 16;

/**
 * Minimum number of entries every leaf or branch page must hold with maximum-size keys. Four keeps
 * splits and merges simple (a split of an over-full page always yields two pages that fit) and the
 * tree shallow: with 4 KiB pages and 312-byte keys a branch still has ≥ 12 children.
 */
export const pageFanoutMin = 4;

/** Page cache budget when the caller sets none: 64 MiB holds ~16k pages of 4 KiB. */
export const cacheBytesDefault = 64 * 1024 * 1024;
/** The cache never holds fewer pages than this, whatever the budget (a tree path plus slack). */
export const cachePagesMin = 64;

/**
 * WAL size at which a checkpoint copies pages into the primary and resets the log. 16 MiB bounds
 * recovery time (a replay of 16 MiB takes well under a second) while amortising checkpoint fsyncs.
 */
export const walCheckpointBytesDefault = 16 * 1024 * 1024;
export const walCheckpointBytesMin = 64 * 1024;
/** A WAL file larger than this after a checkpoint is truncated back to the checkpoint size. */
export const walRetainFactor = 4;

/** Page numbers are u32 on disk; page 0 holds the file header. */
export const pageCountMax = 0xffff_ffff;

/** Largest commit (in dirty pages) accepted in one transaction: 1 GiB of 4 KiB pages. */
export const txDirtyPagesMax = 262_144;

/** Tree depth cannot exceed this: fanout ≥ 4 and u32 page numbers bound it to 16 levels. */
export const treeDepthMax = 32;

/**
 * Bytes of every page of an encrypted database kept for its seal: a 12-byte AES-GCM nonce and a
 * 16-byte tag (docs/format.md "Encryption"). Usable bytes per page = pageSize − this, so the
 * inline-value and overflow limits of an encrypted database are slightly lower; the fanout check
 * below is done on the smaller usable size.
 */
export const encryptionReserveBytes = 28;

/**
 * scrypt cost of passphrase databases, as log2(N). 2^17 with r = 8 is the cost OWASP lists for
 * scrypt (128 MiB, ~0.3 s here); it is stored in the header, so open uses the creation cost.
 * Costs below the default are accepted (down to 2^10, ~1 ms) for tests and for callers that
 * already derive the passphrase from a strong secret; 2^20 (1 GiB) is the ceiling.
 */
export const kdfCostDefault = 17;
export const kdfCostMin = 10;
export const kdfCostMax = 20;
/** scrypt block size r and parallelism p (the RFC 7914 recommendation). */
export const scryptBlockSize = 8;
export const scryptParallelism = 1;
/** Longest passphrase in UTF-8 bytes: a bound on KDF input, far above any real passphrase. */
export const passphraseBytesMax = 1024;

/** Pages re-encrypted per batch by rotateEncryption (1 MiB of 4 KiB pages between yields). */
export const rotateBatchPagesDefault = 256;
export const rotateBatchPagesMax = 65_536;

assert(treeKeyBytesMax >= keyBytesMax + 1, 'tree keys must hold a namespaced user key');
assert(compressBytesMin < valueBytesMaxMin, 'compression threshold below the smallest limit');
for (const pageSize of pageSizesAllowed) {
  // A branch entry is u16 key length + key + u32 child; the page must hold pageFanoutMin of them.
  const branchEntryMax = 2 + treeKeyBytesMax + 4;
  const usableMin = pageSize - encryptionReserveBytes;
  assert((usableMin - pageHeaderBytes - 4) / branchEntryMax >= pageFanoutMin, 'branch fanout');
}

/**
 * Batch put of many cells (SPEC §3.1): batch size, progress, continue-on-error.
 *
 * The inputs are cut into consecutive batches of `batchSize`; each batch is one `db.update`, so
 * one commit (and one fsync, shared with concurrent commits by group commit). Batches commit in
 * order and independently: the call is NOT atomic as a whole. When it rejects, every batch before
 * the failing one stays committed and the failing batch and those after it are not written; the
 * progress callback tells the caller how far it got.
 *
 * With `continueOnError`, an item whose putCell throws a HexxlaError (bad input, a rejecting
 * validator that throws one) is skipped and reported as `{index, error}`; putCell validates
 * everything before its first write, so a skipped item leaves nothing behind and the rest of the
 * batch commits. Any other error (a validator throwing a plain Error) and the HexxlaErrors that
 * say the storage itself failed (`fatalCodes`: I/O, corruption, closed handle; the transaction
 * may then be half-done) still reject the call, as does every error without `continueOnError`.
 */
import { isThenable } from '../assert.js';
import type { Database } from '../engine/database.js';
import { hexxlaError, isHexxlaError, type ErrorCode, type HexxlaError } from '../errors.js';
import type { BatchPutOptions, BatchPutResult, CellInput } from './types.js';

/** Default cells per commit. */
export const batchSizeDefault = 1000;
/** Largest batch size: bounds the dirty pages one commit holds in memory. */
export const batchSizeMax = 100_000;

/** Errors that are never per-item problems: they reject the batch put even with continueOnError. */
const fatalCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CorruptDatabase', 'DatabaseClosed', 'DatabasePoisoned', 'DiskFull', 'IoError', 'TxClosed',
  'EncryptionKeyMismatch', 'UnsupportedFormat',
]);

type ItemError = { readonly index: number; readonly error: HexxlaError };

/** Validated options with defaults applied. Throws `InvalidArgument`. */
function checkOptions(inputs: readonly CellInput[], options: BatchPutOptions | undefined):
  Required<Omit<BatchPutOptions, 'onProgress'>> & Pick<BatchPutOptions, 'onProgress'> {
  if (!Array.isArray(inputs)) throw hexxlaError('InvalidArgument', 'inputs must be an array');
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw hexxlaError('InvalidArgument', 'batch put options must be an object');
  }
  const batchSize = options?.batchSize ?? batchSizeDefault;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > batchSizeMax) {
    throw hexxlaError('InvalidArgument', `batchSize must be an integer 1…${batchSizeMax}`, {
      batchSize: String(batchSize),
    });
  }
  const continueOnError = options?.continueOnError ?? false;
  if (typeof continueOnError !== 'boolean') {
    throw hexxlaError('InvalidArgument', 'continueOnError must be a boolean');
  }
  const onProgress = options?.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw hexxlaError('InvalidArgument', 'onProgress must be a function');
  }
  return { batchSize, continueOnError, ...(onProgress === undefined ? {} : { onProgress }) };
}

/**
 * Puts `inputs` in batches (see the module comment). Resolves with the number of cells written
 * and the skipped items (only with `continueOnError`). `onProgress(done, total)` runs after each
 * committed batch with the number of items processed so far (written or skipped); an error it
 * throws rejects the call, after that batch committed. An async one is awaited (its rejection
 * likewise rejects the call).
 */
export async function runBatchPut(db: Database, inputs: readonly CellInput[],
  options?: BatchPutOptions): Promise<BatchPutResult> {
  const { batchSize, continueOnError, onProgress } = checkOptions(inputs, options);
  const total = inputs.length;
  const errors: ItemError[] = [];
  let written = 0;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(start + batchSize, total);
    // Per-attempt results, taken over only once the commit succeeded.
    const batch = await db.update((tx) => {
      const failed: ItemError[] = [];
      let ok = 0;
      for (let i = start; i < end; i++) {
        try {
          tx.putCell(inputs[i] as CellInput);
          ok++;
        } catch (err) {
          if (!continueOnError || !isHexxlaError(err) || fatalCodes.has(err.code)) throw err;
          failed.push({ index: i, error: err });
        }
      }
      return { ok, failed };
    });
    written += batch.ok;
    errors.push(...batch.failed);
    // An async callback is awaited: its rejection rejects the call like a throw (unawaited, it
    // was an unhandled rejection, which crashes the process).
    const progressed: unknown = onProgress?.(end, total);
    if (isThenable(progressed)) {
      await progressed;
    }
  }
  return { written, errors };
}

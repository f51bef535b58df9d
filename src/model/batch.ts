/** Batch put of many cells (SPEC §3.1): batch size, progress, continue-on-error. */
import type { Database } from '../engine/database.js';
import { hexxlaError } from '../errors.js';
import type { BatchPutOptions, BatchPutResult, CellInput } from './types.js';

export function runBatchPut(_db: Database, _inputs: readonly CellInput[],
  _options?: BatchPutOptions): Promise<BatchPutResult> {
  return Promise.reject(hexxlaError('InvalidArgument', 'not implemented yet'));
}

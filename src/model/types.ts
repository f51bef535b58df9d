/** The record API's input, option and result types: declared in src/types/inputs.ts. */
export type {
  BatchPutOptions, BatchPutResult, CellInput, EdgeInput, FacetInput, FindSeamsOptions,
  ListOptions, RecordHooks, ResolutionStatus, RingCell, SeamInput, WalkOptions,
} from '../types/inputs.js';

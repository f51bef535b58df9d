/**
 * Bounds of the service (ARCHITECTURE "Limits"): every page, batch, stream and message size
 * that a request can ask for, with the reason for its value. Requests above a bound are
 * lowered to it (page sizes) or rejected with INVALID_ARGUMENT naming the bound (batches).
 */

/** Items per page when the request says 0: small enough for one message of any record size. */
export const pageSizeDefault = 100;
/**
 * Most items per page. Cells are at most max_value_bytes (≤ 1 MiB) each, so 1000 could exceed
 * the 16 MiB message bound only with huge cells; the send limit then fails the call cleanly.
 */
export const pageSizeMax = 1000;
/** Most mutations in one WriteBatch: one commit must stay far below txDirtyPagesMax. */
export const writeBatchMutationsMax = 1000;
/** Most preconditions in one WriteBatch. */
export const writeBatchPreconditionsMax = 100;
/** Most cells in one BatchPutCells request (the request itself is bounded by message size). */
export const batchPutCellsMax = 10_000;
/** Largest ring-walk radius: 3r(r+1)+1 cells are visited, about 30k at 100. */
export const walkRadiusMax = 100;
/** Most cells LoadContext returns. */
export const loadContextCellsMax = 1000;
/** Largest FindSeams radius (as walkRadiusMax). */
export const findSeamsRadiusMax = 100;
/** Diff entries per streamed message. */
export const diffEntriesPerMessage = 500;
/** Most error lines a HealthCheck returns. */
export const healthCheckErrorsMax = 1000;

/** Default receive/send message bound: 16 MiB holds a page of large cells or a batch. */
export const messageBytesDefault = 16 * 1024 * 1024;
/** Largest configurable message bound: grpc-js allows up to 2 GiB, we allow 256 MiB. */
export const messageBytesMax = 256 * 1024 * 1024;
/** Default concurrent streams per HTTP/2 connection. */
export const concurrentStreamsDefault = 100;
/** Default grace period of a shutdown before in-flight calls are cancelled. */
export const shutdownGraceMsDefault = 10_000;
/** Rows one PruneCellVersions pass removes when the request says 0: a short commit. */
export const pruneMaxDeleteDefault = 10_000;

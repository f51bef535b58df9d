/**
 * Metadata keys of the HexxlaDB service (ARCHITECTURE "Versioning": one file of key names).
 * The SDK (src/client, which may not import src/server) will need the same names: when it lands,
 * move this file to a module both can import.
 */
import { randomBytes } from 'node:crypto';

/** Bearer token: `authorization: Bearer <token>`. */
export const authorizationKey = 'authorization';
/** Request id: sent by the client (optional) and always echoed in the response headers. */
export const requestIdKey = 'x-request-id';
/** Reserved for many-database servers (SPEC §12.7); ignored by this version. */
export const databaseKey = 'x-hexxladb-database';

/** A client-supplied request id is used only when it matches this; else one is generated. */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Generated request ids: a random per-process prefix and a counter (`<12 hex>-<base36>`). Unique
 * within the process and, by the prefix, across restarts and servers; it costs a string
 * concatenation per call instead of randomUUID's CSPRNG draw and formatting. Not a secret and
 * not unguessable: nothing may rely on a request id for security.
 */
const requestIdPrefix = randomBytes(6).toString('hex');
let requestIdCount = 0;

/** A fresh server-generated request id (matches requestIdPattern). */
export function newRequestId(): string {
  requestIdCount = (requestIdCount + 1) % Number.MAX_SAFE_INTEGER;
  return `${requestIdPrefix}-${requestIdCount.toString(36)}`;
}

/**
 * Metadata keys of the HexxlaDB service (ARCHITECTURE "Versioning": one file of key names).
 * The SDK (src/client, which may not import src/server) will need the same names: when it lands,
 * move this file to a module both can import.
 */

/** Bearer token: `authorization: Bearer <token>`. */
export const authorizationKey = 'authorization';
/** Request id: sent by the client (optional) and always echoed in the response headers. */
export const requestIdKey = 'x-request-id';
/** Reserved for many-database servers (SPEC §12.7); ignored by this version. */
export const databaseKey = 'x-hexxladb-database';

/** A client-supplied request id is used only when it matches this; else one is generated. */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

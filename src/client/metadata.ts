/**
 * Metadata keys the SDK sends. The same names as src/server/metadata.ts (the client may not
 * import the server, ARCHITECTURE §1); a contract test keeps the two in step until both import
 * one shared module.
 */

/** Bearer token: `authorization: Bearer <token>`. */
export const authorizationKey = 'authorization';
/** Request id: optional, echoed by the server in its response headers and logs. */
export const requestIdKey = 'x-request-id';
/** Reserved for many-database servers (SPEC §12.7). */
export const databaseKey = 'x-hexxladb-database';

/**
 * Entry point of the HexxlaDB gRPC server (package subpath "./server"): start a server on a
 * database, configure it, and the pieces a client or test needs to speak to it (method
 * definitions built from the same descriptors, the error mapping, metadata key names).
 */
export { HexxlaServer, type StartOptions } from './server.js';
export {
  configFromEnv, configFromFile, defaultConfig, isLoopback, parseTokens, readTokensFile,
  resolveConfig, type ConfigLayer, type ServerConfig, type TlsConfig,
} from './config.js';
export {
  Authorizer, requiredRole, roles, tokenLengthMin, type Role, type TokenEntry,
} from './auth.js';
export {
  errorDomain, grpcCodeOf, reasonOf, statusDetailsKey, toServiceError,
} from './error-map.js';
export {
  adaptService, clientDefinition, methodDefinition, methodPath, type CallContext,
  type ServiceHandlers,
} from './grpc-adapter.js';
export { authorizationKey, databaseKey, requestIdKey } from './metadata.js';
export { createLogger, logLevels, type LogLevel, type Logger } from './logging.js';

/**
 * The server's structured JSON log (SPEC §12.4): pino, one line per call with the request id,
 * method, status code and duration; never payloads, tokens or other secrets. The redact list is
 * a second line of defence: no code path logs metadata, but if one ever did, the authorization
 * header would still be censored.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Field names that hold secrets, at the top level and one level down: bearer tokens and the
 * credentials of RotateEncryption (request field names as protobuf-es spells them, and the
 * engine's option names).
 */
const secretNames = ['authorization', 'token', 'newEncryptionKey', 'newPassphrase',
  'encryptionKey', 'passphrase'];
const secretPaths = secretNames.flatMap((name) => [name, `*.${name}`]);

/** Creates the server logger (stdout unless `destination` is given, e.g. in tests). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'hexxladb' },
    redact: { paths: secretPaths, censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

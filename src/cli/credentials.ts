/**
 * Credentials of the offline commands (check, stats, compact, backup, verify, restore) for an
 * encrypted database (SPEC §4.4): the same two options as `serve`, naming files so that no secret
 * shows in a command line (`ps`) or shell history. The key file holds 32 raw bytes or 64 hex
 * characters; the passphrase file one passphrase (a trailing newline ignored). Reading and
 * checking the files is server/config.ts's readCredentials, so both paths agree.
 */
import { reportError, usage, type CommandIo } from '../ops/command-io.js';
import { readCredentials } from '../server/config.js';

/** The value options every offline command accepts besides its own. */
export const credentialOptions = ['encryption-key-file', 'passphrase-file'] as const;

/**
 * The credentials the parsed options name ({} when neither is given), or a usage problem (a
 * string) when both are. An unreadable file or a malformed key throws InvalidArgument.
 */
export function credentialsFrom(values: ReadonlyMap<string, string>):
  { encryptionKey?: Uint8Array; passphrase?: string } | string {
  const encryptionKeyFile = values.get('encryption-key-file');
  const passphraseFile = values.get('passphrase-file');
  if (encryptionKeyFile !== undefined && passphraseFile !== undefined) {
    return 'give --encryption-key-file or --passphrase-file, not both';
  }
  return readCredentials({
    ...(encryptionKeyFile === undefined ? {} : { encryptionKeyFile }),
    ...(passphraseFile === undefined ? {} : { passphraseFile }),
  });
}

/** Usage text of the credential options, for the commands' usage lines. */
export const credentialUsage = '[--encryption-key-file FILE | --passphrase-file FILE]';

/**
 * credentialsFrom for a command: the credentials, or the exit code after reporting the problem
 * (both options: bad usage, 2; an unreadable file or a malformed key: 1).
 */
export function credentialsOrExit(io: CommandIo, values: ReadonlyMap<string, string>,
  usageText: string): { encryptionKey?: Uint8Array; passphrase?: string } | number {
  try {
    const credentials = credentialsFrom(values);
    return typeof credentials === 'string' ? usage(io, credentials, usageText) : credentials;
  } catch (err) {
    return reportError(io, err);
  }
}

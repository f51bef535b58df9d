/**
 * Encryption at rest (SPEC §4.4): credentials, key derivation, sealing and key rotation.
 * Layouts: docs/format.md "Encryption".
 */
export { rawKeyBytes, resolveCredentials } from './credentials.js';
export type { EncryptionCredentials, ResolvedCredentials } from './credentials.js';
export { EncryptionKeys, deriveSubkey } from './kdf.js';
export type { SubkeyPurpose } from './kdf.js';
export { isEncrypted, unlockEncryption } from './key-verifier.js';
export { rotateEncryption, rotateFiles } from './rotate.js';
export type {
  RotateEncryptionOptions, RotateEncryptionResult, RotateProgress,
} from './rotate.js';
export { Sealer, changelogSealer, nonceBytes, sealOverheadBytes, tagBytes } from './seal.js';

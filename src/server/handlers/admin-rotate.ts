/**
 * AdminService RotateEncryption (SPEC §4.4) over Database.rotateEncryption: online, readers
 * continue and writers wait.
 *
 * Not cancellable, on purpose: the engine's online rotation poisons the open handle on ANY
 * failure inside the file work, a Cancelled between batches included (src/ops/rotate-online.ts),
 * so a client's deadline would leave the served database refusing writes until a restart. The
 * call's signal is therefore not passed; the rotation runs to completion. Likewise every input
 * check runs here, before the engine is called, so bad input cannot reach that path either.
 *
 * Secrets: the new key or passphrase is validated here (exactly one of them, a raw key of
 * exactly 32 bytes) with errors that name the field and never carry the value; it is handed to
 * the engine (which copies it) and the request's key bytes are zeroed afterwards. Nothing here
 * logs, and the call log line (server.ts) holds no request fields; logging.ts also redacts the
 * credential field names should a request ever reach a log.
 */
import type { AdminService } from '../../../gen/hexxladb/v1/admin_service_pb.js';
import { hexxlaError } from '../../errors.js';
import { rawKeyBytes, resolveCredentials } from '../../storage/crypto/credentials.js';
import { headerAt } from '../snapshot.js';
import { checkLive, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof AdminService>;

type NewCredentials = { encryptionKey: Uint8Array } | { passphrase: string };

/** The request's credentials; InvalidArgument unless exactly one is given and well formed. */
export function credentialsIn(req: { newPassphrase: string; newEncryptionKey: Uint8Array }):
  NewCredentials {
  const hasKey = req.newEncryptionKey.length > 0;
  const hasPassphrase = req.newPassphrase !== '';
  if (hasKey === hasPassphrase) {
    throw hexxlaError('InvalidArgument', 'give exactly one of new_passphrase and ' +
      'new_encryption_key', { field: 'new_encryption_key' });
  }
  if (!hasKey) {
    const credentials = { passphrase: req.newPassphrase };
    resolveCredentials(credentials); // empty / overlong: InvalidArgument naming the option
    return credentials;
  }
  if (req.newEncryptionKey.length !== rawKeyBytes) {
    throw hexxlaError('InvalidArgument', `new_encryption_key must be exactly ${rawKeyBytes} ` +
      'bytes', { field: 'new_encryption_key', length: req.newEncryptionKey.length });
  }
  return { encryptionKey: req.newEncryptionKey };
}

export function rotateHandlers({ db }: HandlerDeps): Handlers {
  return {
    async rotateEncryption(req, ctx) {
      try {
        checkLive(ctx);
        const credentials = credentialsIn(req);
        const result = await db.rotateEncryption(credentials,
          { discardChangelog: req.discardChangelog });
        return { header: headerAt(db, db.commitSeq()), pages: BigInt(result.pages),
          bytes: BigInt(result.bytes) };
      } finally {
        // The engine keeps its own copy; this one need not linger in the heap.
        req.newEncryptionKey.fill(0);
      }
    },
  };
}

/**
 * The engine-error → gRPC status map (SPEC §12.2, ARCHITECTURE "Errors").
 *
 * Goal: every ErrorCode has one documented status and its ErrorInfo reason on the wire.
 * Method: white-box over src/server/error-map.ts (it is the unit under test): build the wire
 * error for each code and decode the grpc-status-details-bin trailer as a client would.
 * Properties: the status of each code equals the table below (written out from SPEC §12.2, so
 * a change to the map must change the table); ErrorInfo has domain hexxladb.dev, the reason is
 * the ErrorReason name without prefix, context becomes metadata except file paths; redacted
 * strings are removed from messages; non-HexxlaErrors become INTERNAL with a fixed message.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorReason } from '../../gen/hexxladb/v1/errors_pb.js';
import { errorCodes, hexxlaError, type ErrorCode } from '../../src/errors.js';
import { toServiceError } from '../../src/server/index.js';
import { errorInfoOf } from './harness.js';

const expected: Record<ErrorCode, grpc.status> = {
  CorruptDatabase: grpc.status.DATA_LOSS,
  EncryptionKeyMismatch: grpc.status.FAILED_PRECONDITION,
  ReadSeqFuture: grpc.status.OUT_OF_RANGE,
  SnapshotTagNotFound: grpc.status.NOT_FOUND,
  FacetDerivationMismatch: grpc.status.FAILED_PRECONDITION,
  EmbeddingsDisabled: grpc.status.FAILED_PRECONDITION,
  EmbeddingDimension: grpc.status.INVALID_ARGUMENT,
  ChangelogCorrupt: grpc.status.DATA_LOSS,
  ValueTooLarge: grpc.status.INVALID_ARGUMENT,
  KeyTooLarge: grpc.status.INVALID_ARGUMENT,
  InvalidCoordinate: grpc.status.INVALID_ARGUMENT,
  TxClosed: grpc.status.INTERNAL,
  TxReadOnly: grpc.status.INTERNAL,
  DatabaseClosed: grpc.status.UNAVAILABLE,
  MvccDisabled: grpc.status.FAILED_PRECONDITION,
  ChangelogDisabled: grpc.status.FAILED_PRECONDITION,
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  UnsupportedFormat: grpc.status.FAILED_PRECONDITION,
  DatabasePoisoned: grpc.status.FAILED_PRECONDITION,
  DiskFull: grpc.status.RESOURCE_EXHAUSTED,
  IoError: grpc.status.UNAVAILABLE,
  NotFound: grpc.status.NOT_FOUND,
  PreconditionFailed: grpc.status.FAILED_PRECONDITION,
  Cancelled: grpc.status.CANCELLED,
  SubscriberLagging: grpc.status.RESOURCE_EXHAUSTED,
  DatabaseLocked: grpc.status.FAILED_PRECONDITION,
  ReadSeqPruned: grpc.status.OUT_OF_RANGE,
};

describe('error map', () => {
  it.each([...errorCodes])('maps %s to its status and reason', (code) => {
    const err = hexxlaError(code, `boom in /srv/data/db for ${code}`,
      { seq: 7n, path: '/srv/data/db', coord: '1,2' });
    const { serviceError, isUnexpected } = toServiceError(err, { redact: ['/srv/data'] });
    expect(serviceError.code).toBe(expected[code]);
    expect(isUnexpected).toBe(expected[code] === grpc.status.INTERNAL);
    const info = errorInfoOf(serviceError);
    expect(info?.domain).toBe('hexxladb.dev');
    const reason = info?.reason ?? '';
    expect(ErrorReason[reason as keyof typeof ErrorReason]).toBe(errorCodes.indexOf(code) + 1);
    expect(info?.metadata).toEqual({ seq: '7', coord: '1,2' });
    expect(serviceError.details).not.toContain('/srv/data');
  });

  it('turns a deadline cancellation into DEADLINE_EXCEEDED', () => {
    const { serviceError } = toServiceError(hexxlaError('Cancelled', 'late'),
      { deadlineExceeded: true });
    expect(serviceError.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(errorInfoOf(serviceError)?.reason).toBe('CANCELLED');
  });

  it('hides anything unexpected behind INTERNAL', () => {
    const bug = new TypeError('cannot read x of undefined at /home/app/src/secret.ts:12');
    const { serviceError, isUnexpected } = toServiceError(bug);
    expect(serviceError.code).toBe(grpc.status.INTERNAL);
    expect(serviceError.details).toBe('internal error');
    expect(errorInfoOf(serviceError)).toBeUndefined();
    expect(isUnexpected).toBe(true);
  });
});

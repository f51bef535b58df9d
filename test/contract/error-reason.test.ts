/**
 * The proto ErrorReason enum and the library's error codes stay in step (SPEC §12.2, §13).
 *
 * Goal: every `ErrorCode` in src/errors.ts has exactly one ErrorReason value on the wire, so
 * the server can map each code and the SDK can rebuild each error from ErrorInfo.reason.
 * Method: compare the generated enum descriptor (gen/hexxladb/v1/errors_pb.ts) with the
 * `errorCodes` array.
 * Properties: value 0 is ERROR_REASON_UNSPECIFIED; value i + 1 is ERROR_REASON_<UPPER_SNAKE of
 * errorCodes[i]> (codes and values are only appended, so this also catches renumbering); the
 * TypeScript enum member name (prefix stripped by protoc-gen-es) is the ErrorInfo.reason string.
 */
import { describe, expect, it } from 'vitest';
import { ErrorReason, ErrorReasonSchema } from '../../gen/hexxladb/v1/errors_pb.js';
import { errorCodes } from '../../src/errors.js';

/** 'CorruptDatabase' -> 'CORRUPT_DATABASE', 'TxReadOnly' -> 'TX_READ_ONLY'. */
const upperSnake = (code: string): string =>
  code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

describe('ErrorReason (proto) vs errorCodes (library)', () => {
  it('has UNSPECIFIED = 0 and one value per code, in order', () => {
    const values = ErrorReasonSchema.values.map((v) => [v.number, v.name]);
    const expected = [
      [0, 'ERROR_REASON_UNSPECIFIED'],
      ...errorCodes.map((code, i) => [i + 1, `ERROR_REASON_${upperSnake(code)}`]),
    ];
    expect(values).toEqual(expected);
  });

  it('names each TypeScript enum member by its ErrorInfo.reason string', () => {
    for (const [i, code] of errorCodes.entries()) {
      const reason = upperSnake(code);
      expect(ErrorReason[reason as keyof typeof ErrorReason]).toBe(i + 1);
    }
  });
});

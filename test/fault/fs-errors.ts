/**
 * Node-shaped file-system errors for the test file systems.
 *
 * The engine reads `err.code` (ARCHITECTURE §3: 'ENOSPC' → DiskFull, fsync 'EIO' → poisoned), so
 * the in-memory and faulty file systems throw errors shaped like node:fs's: an `Error` carrying
 * `code`, negative `errno`, `syscall` and `path`, with the message "CODE: description, syscall
 * 'path'".
 */
import os from 'node:os';

/** The error codes the test file systems throw. */
export type FsErrorCode =
  | 'EBADF'
  | 'EEXIST'
  | 'EINVAL'
  | 'EIO'
  | 'EISDIR'
  | 'ENOENT'
  | 'ENOSPC'
  | 'ENOTDIR'
  | 'ENOTSUP';

const descriptions: Record<FsErrorCode, string> = {
  EBADF: 'bad file descriptor',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  EIO: 'i/o error',
  EISDIR: 'illegal operation on a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  ENOTSUP: 'operation not supported',
};

function errnoOf(code: FsErrorCode): number {
  const table = os.constants.errno as Record<string, number | undefined>;
  return -(table[code] ?? 0);
}

/** Builds a Node-style error: `fsError('ENOENT', 'open', '/db/x')`. */
export function fsError(
  code: FsErrorCode,
  syscall: string,
  filePath?: string,
): NodeJS.ErrnoException {
  const where = filePath === undefined ? '' : ` '${filePath}'`;
  const message = `${code}: ${descriptions[code]}, ${syscall}${where}`;
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  err.errno = errnoOf(code);
  err.syscall = syscall;
  if (filePath !== undefined) err.path = filePath;
  return err;
}

/**
 * The error every operation of a crashed or frozen FaultyFileSystem (and of its handles) throws:
 * code 'EIO', message exactly 'crashed'.
 */
export function crashedError(): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error('crashed');
  err.code = 'EIO';
  err.errno = errnoOf('EIO');
  return err;
}

/** True when `err` is an Error whose `code` equals `code` (any code when omitted). */
export function isFsError(err: unknown, code?: FsErrorCode): err is NodeJS.ErrnoException {
  if (!(err instanceof Error)) return false;
  const actual = (err as NodeJS.ErrnoException).code;
  return typeof actual === 'string' && (code === undefined || actual === code);
}

/** Throws EINVAL unless `value` is a non-negative safe integer (a byte position or size). */
export function checkOffset(value: number, syscall: string, filePath: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw fsError('EINVAL', syscall, filePath);
}

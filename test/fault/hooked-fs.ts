/**
 * A MemoryFileSystem whose files run a hook at each fsync, before it: tests use it to act at
 * exactly the points where a sync starts (run checks there, or hold a sync back).
 */
import type { OpenOptions, StorageFile } from '../../src/storage/file.js';
import { MemoryFileSystem } from './memory-fs.js';

/** A StorageFile whose sync awaits `beforeSync(path)` first. */
class HookedFile implements StorageFile {
  constructor(
    private readonly f: StorageFile,
    private readonly beforeSync: (path: string) => void | Promise<void>,
  ) {}
  get path(): string {
    return this.f.path;
  }
  read(buf: Uint8Array, position: number): number {
    return this.f.read(buf, position);
  }
  write(buf: Uint8Array, position: number): void {
    this.f.write(buf, position);
  }
  async sync(): Promise<void> {
    await this.beforeSync(this.f.path);
    await this.f.sync();
  }
  truncate(size: number): void {
    this.f.truncate(size);
  }
  size(): number {
    return this.f.size();
  }
  close(): void {
    this.f.close();
  }
}

/** MemoryFileSystem whose files await `beforeSync(path)` at each fsync. */
export class HookedFs extends MemoryFileSystem {
  beforeSync: (path: string) => void | Promise<void> = () => undefined;
  override open(filePath: string, options?: OpenOptions): StorageFile {
    return new HookedFile(super.open(filePath, options), (p) => this.beforeSync(p));
  }
}

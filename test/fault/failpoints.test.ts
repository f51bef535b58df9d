/**
 * Goal: failpoints cost nothing unarmed and fire exactly as armed, in-process and in a real child
 * process that must die by SIGKILL at the marker.
 * Method: call `failpoint()` directly with various arms; spawn
 * test/fault/fixtures/failpoint-child.ts under tsx with HEXXLA_FAILPOINTS set and inspect its
 * signal and output.
 * Properties: unarmed is a no-op; armThrow throws an EIO-coded FailpointError after `skip` hits
 * (once or always); armCount counts; disarm works per name and for all; the env spec arms 'kill'
 * and 'throw' with @hit and rejects malformed entries; a killed child prints nothing after the
 * marker.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FailpointError,
  armCount,
  armFromSpec,
  armThrow,
  armedFailpoints,
  disarmFailpoint,
  disarmFailpoints,
  failpoint,
  failpointsEnvName,
} from './failpoints.js';

afterEach(() => disarmFailpoints());

describe('failpoints in process', () => {
  it('does nothing when unarmed', () => {
    expect(() => failpoint('wal-before-sync')).not.toThrow();
    armCount('other');
    expect(() => failpoint('wal-before-sync')).not.toThrow();
  });

  it('throws an EIO-coded FailpointError after the skipped hits', () => {
    const counter = armThrow('wal-before-sync', { skip: 2 });
    failpoint('wal-before-sync');
    failpoint('wal-before-sync');
    expect(() => failpoint('wal-before-sync')).toThrow(FailpointError);
    expect(() => failpoint('wal-before-sync')).toThrow(
      expect.objectContaining({ code: 'EIO', failpoint: 'wal-before-sync' }),
    );
    expect(counter).toEqual({ hits: 4, fired: 2 });
  });

  it('fires once with once: true, and throws a custom error', () => {
    const counter = armThrow('x', { once: true, error: (name) => new RangeError(name) });
    expect(() => failpoint('x')).toThrow(RangeError);
    failpoint('x');
    expect(counter).toEqual({ hits: 2, fired: 1 });
  });

  it('disarms one name or all', () => {
    const a = armCount('a');
    armThrow('b');
    expect(armedFailpoints()).toEqual(['a', 'b']);
    disarmFailpoint('b');
    failpoint('b');
    failpoint('a');
    expect(a.hits).toBe(1);
    disarmFailpoints();
    failpoint('a');
    expect(a.hits).toBe(1);
    expect(armedFailpoints()).toEqual([]);
  });

  it('arms from a spec and rejects malformed entries', () => {
    expect(armFromSpec('p=throw@2, q=throw')).toEqual(['p', 'q']);
    failpoint('p');
    expect(() => failpoint('p')).toThrow(FailpointError);
    expect(() => failpoint('q')).toThrow(FailpointError);
    expect(() => armFromSpec('p=explode')).toThrow(/bad failpoint spec/);
  });
});

describe('failpoints in a child process', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../..');
  const child = path.join(here, 'fixtures', 'failpoint-child.ts');
  const run = (spec: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', child], {
      cwd: root,
      env: { ...process.env, [failpointsEnvName]: spec },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('dies by SIGKILL at the armed hit and runs nothing after it', () => {
    const killed = run('child-step=kill@2');
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toBe('step 1\nstep 2\n');
  });

  it('runs to the end when nothing is armed', () => {
    const clean = run('');
    expect(clean.status).toBe(0);
    expect(clean.stdout).toBe('step 1\nstep 2\nstep 3\ndone\n');
  });
});

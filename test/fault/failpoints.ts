/**
 * Test-side helpers for the engine's failpoints (src/failpoints.ts).
 *
 * The engine only marks places with `failpoint(name)`; tests arm them here: to throw an EIO-coded
 * `FailpointError` (in-process fault tests), to SIGKILL the process (crash tests run the engine in
 * a child process and reopen the database afterwards), or just to count hits. A child process
 * arms from the HEXXLA_FAILPOINTS environment variable with `armFromEnv()`.
 */
import { armFailpoint } from '../../src/failpoints.js';

export type { FailpointAction } from '../../src/failpoints.js';
export {
  armedFailpoints,
  armFailpoint,
  disarmFailpoint,
  disarmFailpoints,
  failpoint,
} from '../../src/failpoints.js';

/** Environment variable read by `armFromEnv`: "name=kill,other=throw@3" (see armFromSpec). */
export const failpointsEnvName = 'HEXXLA_FAILPOINTS';

/** The error `armThrow` raises: code 'EIO' so it travels the engine's I/O error path. */
export class FailpointError extends Error {
  readonly code = 'EIO';

  constructor(readonly failpoint: string) {
    super(`failpoint ${failpoint}`);
    this.name = 'FailpointError';
  }
}

/** When an armed failpoint fires. */
export interface ArmOptions {
  /** Hits to let pass before firing (default 0: the first hit fires). */
  skip?: number;
  /** Fire only once, then keep counting without acting (default false: fire on every later hit). */
  once?: boolean;
}

/** Live counters of one armed failpoint. */
export interface FailpointCounter {
  /** Times the engine reached the failpoint since arming. */
  readonly hits: number;
  /** Times the action ran. */
  readonly fired: number;
}

function armWith(name: string, options: ArmOptions, act: () => void): FailpointCounter {
  const counter = { hits: 0, fired: 0 };
  const skip = options.skip ?? 0;
  armFailpoint(name, () => {
    counter.hits++;
    if (counter.hits <= skip || (options.once === true && counter.fired > 0)) return;
    counter.fired++;
    act();
  });
  return counter;
}

/** Arms `name` to throw (a FailpointError unless `error` makes another). */
export function armThrow(
  name: string,
  options: ArmOptions & { error?: (name: string) => Error } = {},
): FailpointCounter {
  return armWith(name, options, () => {
    throw options.error?.(name) ?? new FailpointError(name);
  });
}

/** Arms `name` to kill the current process with `signal` (default SIGKILL): no cleanup runs. */
export function armKill(
  name: string,
  options: ArmOptions & { signal?: NodeJS.Signals } = {},
): FailpointCounter {
  return armWith(name, options, () => {
    process.kill(process.pid, options.signal ?? 'SIGKILL');
    // SIGKILL to self does not return on Linux; never let the engine continue if it somehow does.
    throw new FailpointError(name);
  });
}

/** Arms `name` to do nothing but count hits. */
export function armCount(name: string): FailpointCounter {
  return armWith(name, {}, () => undefined);
}

/**
 * Arms failpoints from a spec "name=action[@hit],…": action 'throw' or 'kill', `hit` the 1-based
 * hit that fires first (default 1). Returns the names armed. Throws on a malformed entry.
 */
export function armFromSpec(spec: string): string[] {
  const names: string[] = [];
  for (const entry of spec.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const match = /^([\w.-]+)=(throw|kill)(?:@(\d+))?$/.exec(entry);
    if (match === null) throw new Error(`bad failpoint spec entry '${entry}'`);
    const [, name = '', action, hit] = match;
    const options = { skip: hit === undefined ? 0 : Math.max(0, Number(hit) - 1) };
    if (action === 'kill') armKill(name, options);
    else armThrow(name, options);
    names.push(name);
  }
  return names;
}

/** Arms the failpoints listed in HEXXLA_FAILPOINTS (for child processes); returns the names. */
export function armFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return armFromSpec(env[failpointsEnvName] ?? '');
}

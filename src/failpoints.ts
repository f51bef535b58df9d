/**
 * Failpoints: named places in the engine where a test can inject a failure (ARCHITECTURE §3,
 * bbolt's gofail).
 *
 * The engine calls `failpoint('wal-before-sync')` at each `// failpoint: name` marker. Unarmed,
 * that is one module-level boolean test and a return, so markers may sit on hot paths. A test
 * (never the engine) arms a name with an action; the action runs synchronously at the marker and
 * may throw (the error propagates through the engine like an I/O error would) or end the process
 * (`process.kill(process.pid, 'SIGKILL')` for real-process crash tests). Helpers live in
 * test/fault/failpoints.ts.
 *
 * Names are kebab-case, prefixed by the component: 'wal-before-sync', 'checkpoint-mid-copy'.
 * This module has no dependencies and no state but the armed table.
 */

/** Runs at an armed failpoint; receives the failpoint name. */
export type FailpointAction = (name: string) => void;

const armed = new Map<string, FailpointAction>();
let anyArmed = false;

/** Marks a failpoint: a no-op unless a test armed `name`; else runs its action (may throw). */
export function failpoint(name: string): void {
  if (!anyArmed) return;
  armed.get(name)?.(name);
}

/** Arms `name` with `action`, replacing any earlier action for that name. */
export function armFailpoint(name: string, action: FailpointAction): void {
  armed.set(name, action);
  anyArmed = true;
}

/** Disarms one failpoint (no-op when not armed). */
export function disarmFailpoint(name: string): void {
  armed.delete(name);
  anyArmed = armed.size > 0;
}

/** Disarms every failpoint; call it in afterEach of tests that arm any. */
export function disarmFailpoints(): void {
  armed.clear();
  anyArmed = false;
}

/** The names currently armed (a copy, in arming order). */
export function armedFailpoints(): string[] {
  return [...armed.keys()];
}

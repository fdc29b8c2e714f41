/**
 * One container's life, driven with plain arrays of inputs (the runtime's answers included):
 * the image pull and start of upstream's `startContainer` / `EnsureImageExists`, and the
 * CrashLoopBackOff of `doBackOff` (10 s doubling to 300 s).
 */
import { describe, expect, it } from 'vitest';
import type { ContainerMachineAction, ContainerMachineInput, ContainerMachineState } from './container.js';
import { containerStep, initialContainerState } from './container.js';
import { ContainerLog } from './logs.js';
import type { ContainerExit, RuntimeContainer } from './runtime.js';

const instance = (id: string, startedAt: number): RuntimeContainer => ({ id, podUid: 'uid-1', name: 'app', image: 'nginx:1.25', imageID: '', behavior: {}, memoryLimitBytes: undefined, startedAt, exit: undefined, stopping: false, log: new ContainerLog() });
const exit = (at: number, exitCode = 1): ContainerExit => ({ at, exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' });

/** Feeds `inputs` in order; returns the actions (events as `reason: message`) and the final state. */
function run(inputs: readonly ContainerMachineInput[], state: ContainerMachineState = initialContainerState('app', 'nginx:1.25', 'web_default(uid-1)')): { actions: string[]; state: ContainerMachineState } {
  const actions: ContainerMachineAction[] = [];
  for (const input of inputs) {
    const [out, next] = containerStep(state, input);
    actions.push(...out);
    state = next;
  }
  return { actions: actions.map((a) => (a.type === 'Emit' ? `${a.event.reason}: ${a.event.message}` : a.type === 'Remove' ? `Remove ${a.id}` : a.type)), state };
}

describe('containerStep', () => {
  it.each<[string, ContainerMachineInput[], string[], string]>([
    [
      'pulls a missing image, then starts the container once the pull is done',
      [
        { type: 'Drive', t: 0, restart: false },
        { type: 'Image', t: 0, availability: { kind: 'pulling', readyAt: 4000, startedAt: 0, newPull: true }, sizeBytes: 70_000_000 },
        { type: 'Drive', t: 3999, restart: false },
        { type: 'Drive', t: 4000, restart: false },
        { type: 'Launched', container: instance('c1', 4000), probes: {} },
      ],
      [
        'EnsureImage',
        'Pulling: Pulling image "nginx:1.25"',
        'Pulled: Successfully pulled image "nginx:1.25" in 4s (4s including waiting). Image size: 70000000 bytes.',
        'Run',
        'Created: Created container: app',
        'Started: Started container app',
      ],
      'running',
    ],
    [
      'starts at once with an image already present',
      [
        { type: 'Drive', t: 0, restart: false },
        { type: 'Image', t: 0, availability: { kind: 'present' }, sizeBytes: 70_000_000 },
        { type: 'Launched', container: instance('c1', 0), probes: {} },
      ],
      ['EnsureImage', 'Pulled: Container image "nginx:1.25" already present on machine', 'Run', 'Created: Created container: app', 'Started: Started container app'],
      'running',
    ],
    [
      'reports ErrImageNeverPull once when the image is missing under imagePullPolicy Never, and keeps asking',
      [
        { type: 'Drive', t: 0, restart: false },
        { type: 'Image', t: 0, availability: { kind: 'never-pull' }, sizeBytes: 0 },
        { type: 'Drive', t: 1000, restart: false },
        { type: 'Image', t: 1000, availability: { kind: 'never-pull' }, sizeBytes: 0 },
      ],
      ['EnsureImage', 'ErrImageNeverPull: Container image "nginx:1.25" is not present with pull policy of Never', 'EnsureImage'],
      'never-pull',
    ],
  ])('%s', (_name, inputs, expected, phase) => {
    const r = run(inputs);
    expect(r.actions).toEqual(expected);
    expect(r.state.phase.kind).toBe(phase);
  });

  it('runs a container at once when its pull takes no time: Pulling, Pulled and Run in one step', () => {
    const r = run([{ type: 'Drive', t: 5000, restart: false }, { type: 'Image', t: 5000, availability: { kind: 'pulling', readyAt: 5000, startedAt: 5000, newPull: true }, sizeBytes: 2_000_000 }]);
    expect(r.actions.map((a) => a.split(':')[0])).toEqual(['EnsureImage', 'Pulling', 'Pulled', 'Run']);
    expect(r.state.phase).toMatchObject({ kind: 'pulling', readyAt: 5000 });
  });

  it('restarts a crashing container at once the first time, then backs off 10 s, 20 s (CrashLoopBackOff)', () => {
    const started = run([{ type: 'Drive', t: 0, restart: true }, { type: 'Image', t: 0, availability: { kind: 'present' }, sizeBytes: 1 }, { type: 'Launched', container: instance('c1', 0), probes: {} }]).state;
    // exits at 1 s: restarts at once (the back-off entry starts at 10 s)
    let r = run([{ type: 'Exited', exit: exit(1000) }, { type: 'Drive', t: 1000, restart: true }, { type: 'Image', t: 1000, availability: { kind: 'present' }, sizeBytes: 1 }, { type: 'Launched', container: instance('c2', 1000), probes: {} }], started);
    expect(r.actions).toEqual(['EnsureImage', 'Pulled: Container image "nginx:1.25" already present on machine', 'Run', 'Created: Created container: app', 'Started: Started container app']);
    expect(r.state).toMatchObject({ restartCount: 1, lastTerminated: { container: { id: 'c1' } }, backoff: { delayMs: 10_000 } });
    // exits at 2 s: backs off until 12 s, with one BackOff warning
    r = run([{ type: 'Exited', exit: exit(2000) }, { type: 'Drive', t: 2000, restart: true }, { type: 'Drive', t: 11_999, restart: true }], r.state);
    expect(r.actions).toEqual(['BackOff: Back-off restarting failed container app in pod web_default(uid-1)']);
    expect(r.state.phase).toMatchObject({ kind: 'backoff', until: 12_000, delayMs: 10_000 });
    // at 12 s: a new instance; the one before the last is removed from the runtime
    r = run([{ type: 'Drive', t: 12_000, restart: true }, { type: 'Image', t: 12_000, availability: { kind: 'present' }, sizeBytes: 1 }, { type: 'Launched', container: instance('c3', 12_000), probes: {} }], r.state);
    expect(r.actions.slice(0, 2)).toEqual(['Remove c1', 'EnsureImage']);
    expect(r.state).toMatchObject({ restartCount: 2, lastTerminated: { container: { id: 'c2' }, exit: { at: 2000 } }, backoff: { delayMs: 20_000 }, phase: { kind: 'running' } });
    // exits at 13 s: waits 20 s
    r = run([{ type: 'Exited', exit: exit(13_000) }, { type: 'Drive', t: 13_000, restart: true }], r.state);
    expect(r.state.phase).toMatchObject({ kind: 'backoff', until: 33_000, delayMs: 20_000 });
  });

  it('leaves an exited container alone when the restart policy says so, and changes nothing (same state object)', () => {
    const started = run([{ type: 'Drive', t: 0, restart: false }, { type: 'Image', t: 0, availability: { kind: 'present' }, sizeBytes: 1 }, { type: 'Launched', container: instance('c1', 0), probes: {} }, { type: 'Exited', exit: exit(5000, 0) }]).state;
    const [actions, next] = containerStep(started, { type: 'Drive', t: 60_000, restart: false });
    expect(actions).toEqual([]);
    expect(next).toBe(started);
    expect(next.phase).toMatchObject({ kind: 'exited', exit: { exitCode: 0, reason: 'Completed' } });
  });

  it('ignores an input of another phase (an exit of a container that is not running, a late image answer)', () => {
    const fresh = initialContainerState('app', 'nginx:1.25', 'web_default(uid-1)');
    expect(containerStep(fresh, { type: 'Exited', exit: exit(1) })).toEqual([[], fresh]);
    const started = run([{ type: 'Drive', t: 0, restart: false }, { type: 'Image', t: 0, availability: { kind: 'present' }, sizeBytes: 1 }, { type: 'Launched', container: instance('c1', 0), probes: {} }]).state;
    expect(containerStep(started, { type: 'Image', t: 5, availability: { kind: 'present' }, sizeBytes: 1 })).toEqual([[], started]);
  });
});

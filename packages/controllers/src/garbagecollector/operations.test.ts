/**
 * The collector's writes against an API server whose objects change under them: the server's
 * 409 Conflict surfaces as upstream's garbage collector surfaces it (`operations.go`
 * `removeFinalizer`, `garbagecollector.go` `orphanDependents`, `patch.go`). Orphaning patches
 * each dependent once and reports the server's error wrapped in upstream's words; removing a
 * finalizer retries a 409 four times (`retry.DefaultBackoff.Steps`) and then says so.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, ApiServer, ConfigMaps, ORPHAN_FINALIZER, VirtualClock, createBuiltinRegistry, faults, isApiError, seededRng, withInterceptors } from '@kubeloop/core';
import type { ClientInterceptor, ConfigMap, OwnerReference } from '@kubeloop/core';
import { formatIdentity, identityOf } from './graph.js';
import { GarbageCollectorError, Operations, REMOVE_FINALIZER_ATTEMPTS } from './operations.js';

function server(): ApiServer {
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(7), registry: createBuiltinRegistry() });
}

async function configMap(api: ApiServer, name: string, extra: { ownerReferences?: OwnerReference[]; finalizers?: string[] } = {}): Promise<ConfigMap> {
  return api.create(ConfigMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...extra } } as ConfigMap);
}

const referenceTo = (owner: ConfigMap): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '' });

/**
 * Another writer that gets in first: before each of the first `times` patches of `name`, the
 * object is updated on the server, so the patch's resourceVersion is stale and the server
 * answers 409. Counts the patches of `name` it lets through.
 */
function racingWriter(api: ApiServer, name: string, times = Infinity): ClientInterceptor & { patches: number } {
  let raced = 0;
  const interceptor = {
    patches: 0,
    async request<R>(request: { verb: string; key?: { name: string } | undefined }, next: () => Promise<R>): Promise<R> {
      if (request.verb === 'patch' && request.key?.name === name) {
        interceptor.patches++;
        if (raced++ < times) {
          const live = await api.get(ConfigMaps, { namespace: 'default', name });
          await api.update(ConfigMaps, { ...live, data: { raced: String(raced) } });
        }
      }
      return next();
    },
  };
  return interceptor;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('orphanDependents', () => {
  it("patches each dependent once and surfaces the server's 409 wrapped in upstream's message, after trying every dependent", async () => {
    const api = server();
    const owner = await configMap(api, 'owner');
    const a = await configMap(api, 'a', { ownerReferences: [referenceTo(owner)] });
    const b = await configMap(api, 'b', { ownerReferences: [referenceTo(owner)] });
    const c = await configMap(api, 'c', { ownerReferences: [referenceTo(owner)] });
    const race = racingWriter(api, 'b');
    const ops = new Operations(withInterceptors(api, race), api.registry);

    const error = await failure(ops.orphanDependents(identityOf(owner), [a, b, c].map(identityOf)));

    expect(race.patches).toBe(1);
    expect(error).toBeInstanceOf(GarbageCollectorError);
    const gcError = error as GarbageCollectorError;
    expect(gcError.code).toBe('orphan-dependents');
    const orphaning = (gcError.cause as AggregateError).errors as GarbageCollectorError[];
    expect(orphaning).toHaveLength(1);
    expect(orphaning[0]!.code).toBe('orphaning');
    const conflict = orphaning[0]!.cause;
    expect(isApiError(conflict, 'Conflict')).toBe(true);
    expect(gcError.message).toBe(`failed to orphan dependents of owner ${formatIdentity(identityOf(owner))}, got errors: orphaning ${formatIdentity(identityOf(b))} failed, ${(conflict as Error).message}`);
    // The others were orphaned; b keeps its reference until the owner is retried.
    expect((await api.get(ConfigMaps, { namespace: 'default', name: 'a' })).metadata.ownerReferences).toBeUndefined();
    expect((await api.get(ConfigMaps, { namespace: 'default', name: 'c' })).metadata.ownerReferences).toBeUndefined();
    expect((await api.get(ConfigMaps, { namespace: 'default', name: 'b' })).metadata.ownerReferences).toEqual([referenceTo(owner)]);
  });

  it('lists several failures as upstream aggregates them, and takes a dependent that is gone as done', async () => {
    const api = server();
    const owner = await configMap(api, 'owner');
    const a = await configMap(api, 'a', { ownerReferences: [referenceTo(owner)] });
    const b = await configMap(api, 'b', { ownerReferences: [referenceTo(owner)] });
    const gone = await configMap(api, 'gone', { ownerReferences: [referenceTo(owner)] });
    await api.delete(ConfigMaps, { namespace: 'default', name: 'gone' });
    const down = faults((r) => (r.verb === 'patch' ? new ApiError('ServiceUnavailable', 'etcd is down') : undefined));
    const ops = new Operations(withInterceptors(api, down), api.registry);

    const error = (await failure(ops.orphanDependents(identityOf(owner), [a, gone, b].map(identityOf)))) as GarbageCollectorError;

    expect(error.message).toBe(
      `failed to orphan dependents of owner ${formatIdentity(identityOf(owner))}, got errors: [orphaning ${formatIdentity(identityOf(a))} failed, etcd is down, orphaning ${formatIdentity(identityOf(b))} failed, etcd is down]`,
    );
  });
});

describe('patchOwnerReferences', () => {
  it("makes one attempt and throws the server's 409 as it is (the queue retries)", async () => {
    const api = server();
    const owner = await configMap(api, 'owner');
    const a = await configMap(api, 'a', { ownerReferences: [referenceTo(owner)] });
    const race = racingWriter(api, 'a');
    const ops = new Operations(withInterceptors(api, race), api.registry);

    const error = await failure(ops.patchOwnerReferences(identityOf(a), () => []));

    expect(race.patches).toBe(1);
    expect(isApiError(error, 'Conflict')).toBe(true);
  });
});

describe('removeFinalizer', () => {
  it(`retries a 409 ${REMOVE_FINALIZER_ATTEMPTS} times, then reports updateMaxRetries in upstream's words`, async () => {
    const api = server();
    const owner = await configMap(api, 'owner', { finalizers: [ORPHAN_FINALIZER] });
    const race = racingWriter(api, 'owner');
    const ops = new Operations(withInterceptors(api, race), api.registry);

    const error = (await failure(ops.removeFinalizer(identityOf(owner), ORPHAN_FINALIZER))) as GarbageCollectorError;

    expect(race.patches).toBe(4);
    expect(error.code).toBe('update-max-retries');
    expect(error.message).toBe(`updateMaxRetries(4) has reached. The garbage collector will retry later for owner ${formatIdentity(identityOf(owner))}`);
    expect(isApiError(error.cause, 'Conflict')).toBe(true);
    expect((await api.get(ConfigMaps, { namespace: 'default', name: 'owner' })).metadata.finalizers).toEqual([ORPHAN_FINALIZER]);
  });

  it('gets the finalizer off when a retry finds the object quiet', async () => {
    const api = server();
    const owner = await configMap(api, 'owner', { finalizers: [ORPHAN_FINALIZER, 'example.com/keep'] });
    const race = racingWriter(api, 'owner', 3);
    const ops = new Operations(withInterceptors(api, race), api.registry);

    await ops.removeFinalizer(identityOf(owner), ORPHAN_FINALIZER);

    expect(race.patches).toBe(4);
    expect((await api.get(ConfigMaps, { namespace: 'default', name: 'owner' })).metadata.finalizers).toEqual(['example.com/keep']);
  });

  it('wraps a failed read of the owner as upstream does', async () => {
    const api = server();
    const owner = await configMap(api, 'owner', { finalizers: [ORPHAN_FINALIZER] });
    const down = faults((r) => (r.verb === 'get' ? new ApiError('ServiceUnavailable', 'etcd is down') : undefined));
    const ops = new Operations(withInterceptors(api, down), api.registry);

    const error = (await failure(ops.removeFinalizer(identityOf(owner), ORPHAN_FINALIZER))) as GarbageCollectorError;

    expect(error.code).toBe('cannot-get-owner');
    expect(error.message).toBe(`cannot finalize owner ${formatIdentity(identityOf(owner))}, because cannot get it: etcd is down. The garbage collector will retry later`);
  });
});

/**
 * A randomized test of Service address allocation through the API server: any sequence of
 * creates (with and without requested addresses and ports, of every type), type changes and
 * deletes leaves no two Services sharing a ClusterIP or NodePort, each in its range — judged by
 * the independent invariants — and a request refused changes nothing. Checked to fail (with a
 * shrunk counterexample naming the shared value) on an allocator broken on purpose that skips
 * the "already allocated" check for requested ClusterIPs, and one that skips it for NodePorts.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { isApiError } from '../../api/errors.js';
import { createBuiltinRegistry } from '../../api/kinds/index.js';
import { Services, type Service } from '../../api/kinds/service.js';
import { VirtualClock } from '../../clock/virtual.js';
import { clusterState } from '../../invariants/state.js';
import { serviceAddressInvariants } from '../../invariants/services.js';
import { seededRng } from '../../rng/seeded.js';
import { runs } from '../../testing/index.js';
import { ApiServer } from '../server.js';

const names = ['a', 'b', 'c', 'd', 'e'];
const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName', 'Headless'] as const;

const op = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    name: fc.constantFrom(...names),
    type: fc.constantFrom(...types),
    // A small range of requests, so that collisions are frequent.
    ip: fc.option(fc.constantFrom('10.96.0.10', '10.96.0.11', '10.96.0.0', '10.200.0.1'), { nil: undefined }),
    nodePort: fc.option(fc.constantFrom(30000, 30001, 32767, 40000), { nil: undefined }),
    local: fc.boolean(),
  }),
  fc.record({ op: fc.constant('retype' as const), name: fc.constantFrom(...names), type: fc.constantFrom(...types) }),
  fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom(...names) }),
);

function manifest(name: string, type: (typeof types)[number], ip?: string, nodePort?: number, local = false): Record<string, unknown> {
  if (type === 'ExternalName') return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type, externalName: 'example.com' } };
  const external = type === 'NodePort' || type === 'LoadBalancer';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      type: type === 'Headless' ? 'ClusterIP' : type,
      ...(type === 'Headless' ? { clusterIP: 'None' } : ip ? { clusterIP: ip } : {}),
      ...(type === 'LoadBalancer' && local ? { externalTrafficPolicy: 'Local' } : {}),
      ports: [{ port: 80, ...(external && nodePort ? { nodePort } : {}) }],
    },
  };
}

describe('Service address allocation under random requests', () => {
  test.prop([fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 1000 })], { numRuns: runs(60, 1000) })(
    'never gives two Services one ClusterIP or NodePort, nor one out of range, and a refused request changes nothing',
    async (ops, seed) => {
      const server = new ApiServer({ clock: new VirtualClock(), rng: seededRng(seed), registry: createBuiltinRegistry() });
      await server.ready;
      const invariants = serviceAddressInvariants();
      for (const o of ops) {
        const before = server.resourceVersion;
        const key = { namespace: 'default', name: o.name };
        try {
          if (o.op === 'create') await server.create(Services, manifest(o.name, o.type, o.ip ?? undefined, o.nodePort ?? undefined, o.local));
          else if (o.op === 'delete') await server.delete(Services, key);
          else {
            // A type change as kubectl edit makes it: the new type, with what the old one held left in place.
            const spec = o.type === 'ExternalName' ? { type: 'ExternalName', externalName: 'example.com' } : { type: o.type === 'Headless' ? 'ClusterIP' : o.type };
            await server.patch(Services, key, { type: 'merge', body: { spec } });
          }
        } catch (e) {
          if (!isApiError(e, 'Invalid', 'AlreadyExists', 'NotFound', 'InternalError')) throw e;
          expect(server.resourceVersion).toBe(before);
        }
        const services = (await server.list(Services)).items as Service[];
        const state = clusterState(services);
        for (const i of invariants) expect(i.check(state, undefined)).toEqual([]);
      }
    },
  );
});

/**
 * Admission under generated input.
 *
 * Invariants, in words:
 * - every valid generated object is accepted, and reading it back gives the same spec;
 * - every object with a known defect is rejected with 422 Invalid and a cause at the defect's
 *   field path, and the store is unchanged (same revision, same objects);
 * - any random corruption of a valid object is either accepted or rejected with a 4xx API
 *   error whose causes name field paths — never another exception, never a partial write;
 * - the compiled parser admission uses (`z.compile`) agrees with the schema's own parser on
 *   every body, valid or corrupted: the same verdict, the same parsed object, the same issues;
 * - `validateForCreate` (the check without a server that the CLI runs before applying) gives
 *   the verdict a create gives on every body, valid, defective or corrupted: it accepts what
 *   the server accepts and rejects the rest with the server's very message and causes.
 *
 * Runs: 10,000 malformed objects per property under `pnpm test:deep`, fewer in CI.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fc, test } from '@fast-check/vitest';
import { isApiError } from '../api/errors.js';
import { createBuiltinRegistry, Deployments, Services } from '../api/kinds/index.js';
import { VirtualClock } from '../clock/virtual.js';
import { runs } from '../testing/index.js';
import { seededRng } from '../rng/seeded.js';
import { validateForCreate } from './admission.js';
import { ApiServer } from './server.js';

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/);
const labelValue = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,8}[A-Za-z0-9])?$/);
const labels = fc.dictionary(dnsLabel, labelValue, { minKeys: 1, maxKeys: 3 });

const container = fc.record({
  name: dnsLabel,
  image: fc.constantFrom('nginx', 'nginx:1.27', 'kiamol/ch05-pi', 'registry.example.com/app:v2'),
  ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }),
});

/** A valid Deployment: unique container names, selector equal to the template labels. */
const validDeployment = fc
  .record({
    name: dnsLabel,
    replicas: fc.integer({ min: 0, max: 10 }),
    labels,
    containers: fc.uniqueArray(container, { minLength: 1, maxLength: 3, selector: (c) => c.name }),
    minReadySeconds: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
  })
  .map(({ name, replicas, labels: l, containers, minReadySeconds }) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: l },
    spec: {
      replicas,
      ...(minReadySeconds !== undefined ? { minReadySeconds } : {}),
      selector: { matchLabels: l },
      template: { metadata: { labels: l }, spec: { containers } },
    },
  }));

/** A generated manifest as the tests corrupt it: loosely typed on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- defects write values of any type anywhere
type Deployment = Record<string, any>;

/** Known defects and the field path the rejection must name. */
const defects: fc.Arbitrary<{ path: string; apply: (d: Deployment) => void }> = fc.oneof(
  fc.constantFrom('Upper_Case', 'a'.repeat(254), '-lead', 'dot..dot').map((bad) => ({ path: 'metadata.name', apply: (d: Deployment) => void (d.metadata.name = bad) })),
  fc.integer({ min: -100, max: -1 }).map((n) => ({ path: 'spec.replicas', apply: (d: Deployment) => void (d.spec.replicas = n) })),
  fc.constantFrom('three', 1.5, true).map((v) => ({ path: 'spec.replicas', apply: (d: Deployment) => void (d.spec.replicas = v) })),
  fc.integer({ min: 65536, max: 1_000_000 }).map((p) => ({
    path: 'spec.template.spec.containers[0].ports[0].containerPort',
    apply: (d: Deployment) => void (d.spec.template.spec.containers[0].ports = [{ containerPort: p }]),
  })),
  fc.constant({ path: 'spec.template.spec.containers[0].image', apply: (d: Deployment) => void delete d.spec.template.spec.containers[0].image }),
  fc.constant({ path: 'spec.template.spec.containers', apply: (d: Deployment) => void (d.spec.template.spec.containers = []) }),
  fc.constant({
    path: 'spec.template.spec.containers[1].name',
    apply: (d: Deployment) => void d.spec.template.spec.containers.splice(1, 0, { ...d.spec.template.spec.containers[0] }),
  }),
  fc.constant({
    path: 'spec.template.metadata.labels',
    apply: (d: Deployment) => void (d.spec.template.metadata.labels = { 'kubeloop-mismatch': 'x' }),
  }),
  fc.constantFrom('Sometimes', 'Never').map((p) => ({
    path: 'spec.template.spec.restartPolicy',
    apply: (d: Deployment) => void (d.spec.template.spec.restartPolicy = p),
  })),
  fc.constant({ path: 'metadata.labels', apply: (d: Deployment) => void (d.metadata.labels = { 'bad key!': 'v' }) }),
  fc.constant({ path: 'spec', apply: (d: Deployment) => void (d.spec = 5) }),
);

function newServer(): ApiServer {
  return new ApiServer({ clock: new VirtualClock(), rng: seededRng(11), registry: createBuiltinRegistry() });
}

async function snapshot(server: ApiServer): Promise<string> {
  return `${server.resourceVersion}:${JSON.stringify((await server.list(Deployments)).items)}`;
}

describe('admission of generated Deployments', () => {
  test.prop([validDeployment], { numRuns: runs(200, 10_000) })('accepts every valid Deployment and stores its spec', async (d) => {
    const server = newServer();
    const stored = await server.create(Deployments, d as never);
    expect(stored.spec.replicas).toBe(d.spec.replicas);
    expect(stored.spec.template.spec.containers.map((c) => c.name)).toEqual(d.spec.template.spec.containers.map((c) => c.name));
    expect(stored.spec.selector).toEqual(d.spec.selector);
  });

  test.prop([validDeployment, defects], { numRuns: runs(300, 10_000) })(
    'rejects a Deployment with a known defect with 422 naming the field, and changes nothing',
    async (valid, defect) => {
      const server = newServer();
      const before = await snapshot(server);
      const bad = structuredClone(valid) as Deployment;
      defect.apply(bad);
      const error = await server.create(Deployments, bad as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isApiError(error, 'Invalid'), `expected Invalid, got ${String(error)}`).toBe(true);
      const fields = (isApiError(error) ? (error.details.causes ?? []) : []).map((c) => c.field);
      expect(fields.some((f) => f === defect.path || f.startsWith(`${defect.path}.`) || f.startsWith(`${defect.path}[`)), fields.join(', ')).toBe(true);
      expect(await snapshot(server)).toBe(before);
    },
  );

  test.prop([validDeployment, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.anything()], { numRuns: runs(300, 10_000) })(
    'answers any corruption with success or a 4xx error naming fields, never a crash or a partial write',
    async (valid, walk, replacement) => {
      const server = newServer();
      const before = await snapshot(server);
      const bad = structuredClone(valid) as Deployment;
      corruptAt(bad, walk, replacement);
      try {
        const stored = await server.create(Deployments, bad as never);
        // Accepted: what was stored is itself valid (it round-trips through the schema).
        expect(Deployments.schema.safeParse(structuredClone(stored)).success).toBe(true);
      } catch (e) {
        expect(isApiError(e), String(e)).toBe(true);
        if (!isApiError(e)) return;
        expect(e.code).toBeGreaterThanOrEqual(400);
        expect(e.code).toBeLessThan(500);
        for (const cause of e.details.causes ?? []) expect(cause.field).not.toBe('');
        expect(await snapshot(server)).toBe(before);
      }
    },
  );
});

describe('the compiled parser admission uses', () => {
  const compiled = z.compile(Deployments.schema);
  test.prop([validDeployment, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.anything(), fc.boolean()], { numRuns: runs(300, 10_000) })(
    "agrees with the schema's own parser on valid and corrupted Deployments",
    (valid, walk, replacement, corrupt) => {
      const body = structuredClone(valid) as Deployment;
      if (corrupt) corruptAt(body, walk, replacement);
      const fast = compiled.safeParse(body);
      const slow = Deployments.schema.safeParse(body);
      expect(fast.success).toBe(slow.success);
      if (fast.success && slow.success) expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
      else expect(fast.error?.issues).toEqual(slow.error?.issues);
    },
  );
});

describe('admission once a schema is hot', () => {
  it('stores the same objects and gives the same errors after it switches to the compiled parser', async () => {
    const server = newServer();
    const body = (name: string, replicas: unknown) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels: { app: 'web' } }, spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } } });
    const strip = (d: { metadata: object }) => JSON.stringify({ ...d, metadata: { ...d.metadata, name: '', uid: '', resourceVersion: '', creationTimestamp: '' } });
    const rejection = (e: unknown) => (isApiError(e) ? JSON.stringify([e.message, e.details.causes]) : String(e));
    const first = strip(await server.create(Deployments, body('d0', 2) as never));
    const firstError = await server.create(Deployments, body('bad0', -1) as never).then(() => 'accepted', rejection);
    expect(firstError).toContain('spec.replicas');
    // Admission compiles a schema after some hundreds of parses; go well past that.
    for (let i = 1; i < 1_000; i++) await server.create(Deployments, body(`d${i}`, 2) as never);
    expect(strip(await server.create(Deployments, body('last', 2) as never))).toBe(first);
    expect(await server.create(Deployments, body('bad1', -1) as never).then(() => 'accepted', rejection)).toBe(firstError.replace('bad0', 'bad1'));
  });
});

describe('admission of generated Services', () => {
  test.prop([fc.integer({ min: -5, max: 70_000 }), fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'Bogus')], { numRuns: runs(200, 5000) })(
    'accepts a port in 1..65535 of a known type and rejects anything else with the field path',
    async (port, type) => {
      const server = newServer();
      const body = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { type, selector: { app: 'web' }, ports: [{ port, targetPort: 80 }] },
      };
      const valid = port >= 1 && port <= 65535 && type !== 'Bogus';
      const result = await server.create(Services, body as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (valid) {
        expect(result).toBeUndefined();
      } else {
        expect(isApiError(result, 'Invalid')).toBe(true);
        const fields = isApiError(result) ? (result.details.causes ?? []).map((c) => c.field) : [];
        expect(fields).toContain(type === 'Bogus' ? 'spec.type' : 'spec.ports[0].port');
      }
    },
  );
});

/** Replaces the node reached by following `walk` (indices into keys) with `replacement`. */
function corruptAt(root: Record<string, unknown>, walk: readonly number[], replacement: unknown): void {
  let node: Record<string, unknown> = root;
  for (let i = 0; i < walk.length; i++) {
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    const key = keys[walk[i]! % keys.length]!;
    const child = node[key];
    if (i === walk.length - 1 || child === null || typeof child !== 'object') {
      node[key] = replacement;
      return;
    }
    node = child as Record<string, unknown>;
  }
}

describe('validateForCreate, the check without a server', () => {
  const verdict = (run: () => unknown): string => {
    try {
      run();
      return 'accepted';
    } catch (e) {
      return isApiError(e) ? JSON.stringify([e.reason, e.message, e.details.causes]) : `not an ApiError: ${String(e)}`;
    }
  };
  test.prop([validDeployment, fc.option(defects, { nil: undefined }), fc.option(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.anything()), { nil: undefined })], { numRuns: runs(300, 10_000) })(
    'accepts what a create accepts and rejects the rest with the same message and causes',
    async (valid, defect, corruption) => {
      const body = structuredClone(valid) as Deployment;
      defect?.apply(body);
      if (corruption !== undefined) corruptAt(body, corruption[0], corruption[1]);
      const offline = verdict(() => validateForCreate(Deployments, structuredClone(body)));
      const server = newServer();
      const online = await server.create(Deployments, structuredClone(body) as never).then(
        () => 'accepted',
        (e: unknown) => (isApiError(e) ? JSON.stringify([e.reason, e.message, e.details.causes]) : `not an ApiError: ${String(e)}`),
      );
      // Whether the namespace exists is the store's to say, outside validateForCreate's remit:
      // the server checks it after everything validateForCreate checks.
      if (online.startsWith('["NotFound","namespaces ')) expect(offline).toBe('accepted');
      else expect(offline).toBe(online);
    },
  );

  it('stands a generated name in for generateName, and strips a status the status subresource owns, as a create does', () => {
    const spec = { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } };
    const named = validateForCreate(Deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { generateName: 'web-' }, spec, status: { replicas: 'many' } } as never);
    expect(named.metadata.generateName).toBe('web-');
    expect(() => validateForCreate(Deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec } as never)).toThrow('metadata.name: Required value: name or generateName is required');
  });
});

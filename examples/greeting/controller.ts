/**
 * The greeting controller: for every Greeting, keep a ConfigMap holding its message, report
 * status, and clean up on deletion through a finalizer. Written only against the public API
 * of `@kubeloop/core`, as a user's operator would be.
 *
 * Level-triggered: every reconcile reads the current state (from the shared cache) and makes
 * the world match, whatever events were missed — an edited or deleted ConfigMap is repaired,
 * a changed message is published, a crashed reconcile is simply run again.
 */
import {
  ConfigMaps,
  controllerFor,
  done,
  formatTime,
  isApiError,
  type ConfigMap,
  type Controller,
  type Manager,
  type Plugin,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '@kubeloop/core';
import { configMapName, configMapUpToDate, desiredConfigMap, desiredStatus, GREETING_FINALIZER, ownedBy } from './decide.js';
import { Greetings, type Greeting } from './greeting.js';

/** Reconciles one Greeting. */
export class GreetingReconciler implements Reconciler {
  readonly #manager: Manager;

  constructor(manager: Manager) {
    this.#manager = manager;
  }

  async reconcile(request: Request, _context: ReconcileContext): Promise<Result> {
    const { client, clock } = this.#manager;
    const recorder = this.#manager.recorder('greeting-controller');
    const cached = this.#manager.cache(Greetings).get(request);
    if (!cached) return done; // deleted: the ConfigMap went with the finalizer
    let greeting: Greeting = cached;

    // Being deleted: remove what we made, then let the Greeting go.
    if (greeting.metadata.deletionTimestamp) {
      if (!(greeting.metadata.finalizers ?? []).includes(GREETING_FINALIZER)) return done;
      // Read the ConfigMap from the API server, not the cache: a cache that has not seen it yet
      // would let the finalizer go and leak it (found by docs/testing-invariants.md's check).
      const cm = await client.get(ConfigMaps, { namespace: request.namespace, name: configMapName(greeting) }).catch((e: unknown) => {
        if (isApiError(e, 'NotFound')) return undefined;
        throw e;
      });
      if (cm && ownedBy(cm, greeting)) await ignoreNotFound(client.delete(ConfigMaps, { namespace: request.namespace, name: configMapName(greeting) }));
      await client.update(Greetings, {
        ...greeting,
        metadata: { ...greeting.metadata, finalizers: (greeting.metadata.finalizers ?? []).filter((f) => f !== GREETING_FINALIZER) },
      });
      await recorder.event(greeting, 'Normal', 'CleanedUp', `deleted ConfigMap ${configMapName(greeting)}`);
      return done;
    }

    // Make sure deletion will wait for our cleanup.
    if (!(greeting.metadata.finalizers ?? []).includes(GREETING_FINALIZER)) {
      greeting = await client.update(Greetings, {
        ...greeting,
        metadata: { ...greeting.metadata, finalizers: [...(greeting.metadata.finalizers ?? []), GREETING_FINALIZER] },
      });
    }

    // The ConfigMap: create it, repair it, or refuse to touch someone else's.
    const key = { namespace: request.namespace, name: configMapName(greeting) };
    const live: ConfigMap | undefined = this.#manager.cache(ConfigMaps).get(key);
    let ready = true;
    let reason = 'ConfigMapReady';
    let message = `ConfigMap ${key.name} holds the message`;
    if (!live) {
      await client.create(ConfigMaps, desiredConfigMap(greeting));
      await recorder.event(greeting, 'Normal', 'Created', `created ConfigMap ${key.name}`);
    } else if (!ownedBy(live, greeting)) {
      ready = false;
      reason = 'ConfigMapConflict';
      message = `ConfigMap ${key.name} exists and is not owned by this Greeting`;
      await recorder.event(greeting, 'Warning', reason, message);
    } else if (!configMapUpToDate(live, greeting)) {
      await client.update(ConfigMaps, { ...live, data: desiredConfigMap(greeting).data });
      await recorder.event(greeting, 'Normal', 'Updated', `updated ConfigMap ${key.name}`);
    }

    // Status: written only when it says something new.
    const status = desiredStatus(greeting, ready, reason, message, formatTime(clock.now()));
    if (JSON.stringify(status) !== JSON.stringify(greeting.status)) {
      await client.updateStatus(Greetings, { ...greeting, status });
    }
    return done;
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isApiError(e, 'NotFound')) throw e;
  }
}

/** Builds the controller on a manager: Greetings, and the ConfigMaps they own. */
export function greetingController(manager: Manager): Controller {
  return controllerFor(manager, Greetings).named('greeting').owns(ConfigMaps).complete(new GreetingReconciler(manager));
}

/** The plugin that installs the Greeting resource and its controller. */
export const greetingPlugin: Plugin = {
  name: 'example.kubeloop.dev/greeting',
  register(api) {
    api.addResource(Greetings);
    api.addController(greetingController);
    api.reconciles(Greetings); // tools can tell a user when nothing acts on what they applied
  },
};

/**
 * The admission chain of write requests, in upstream's order: mutating plugin hooks, then
 * validation (object metadata, the kind's `validate` and `validateUpdate` strategy hooks), then
 * validating plugin hooks. Decoding and defaulting come before it (see `store/admission.ts`).
 *
 * @module
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceDefinition } from '../../api/registry.js';
import type { Clock } from '../../clock/clock.js';
import { hookApplies, rejectIfInvalid, validateObjectMeta, type AdmissionHook, type AdmissionOperation, type StoreReader } from '../admission.js';

/**
 * The admission hooks of one API server and the reads they get.
 *
 * Guarantees: hooks run in the order they were added; a rejection (field errors or a thrown
 * `ApiError`) propagates before anything is written.
 */
export class AdmissionChain {
  readonly #hooks: AdmissionHook[];
  readonly #reader: StoreReader;
  readonly #clock: Clock;

  constructor(hooks: readonly AdmissionHook[], reader: StoreReader, clock: Clock) {
    this.#hooks = [...hooks];
    this.#reader = reader;
    this.#clock = clock;
  }

  /** Adds a hook; it runs after the hooks added before it. */
  add(hook: AdmissionHook): void {
    this.#hooks.push(hook);
  }

  /**
   * Whether a mutating hook applies that does not declare `producesDecoded`: its edits are not
   * decoded, and it may edit the request's object in place, so such writes neither reuse stored
   * fields nor are reused from.
   */
  mutates(resource: ResourceDefinition, operation: AdmissionOperation): boolean {
    for (const hook of this.#hooks) if (hook.mutate && hook.producesDecoded !== true && hookApplies(hook, resource, operation)) return true;
    return false;
  }

  /** Mutating hooks, validation, validating hooks; returns the admitted object (not frozen). */
  admit<T extends KubeObject>(
    resource: ResourceDefinition<T>,
    operation: AdmissionOperation,
    subresource: string | undefined,
    object: T,
    old: T | undefined,
    dryRun: boolean,
  ): T {
    let obj = object;
    for (const hook of this.#hooks) {
      if (!hook.mutate || !hookApplies(hook, resource, operation)) continue;
      const out = hook.mutate({ operation, resource, subresource, object: obj, oldObject: old, dryRun, store: this.#reader, now: this.#clock.now() } as never);
      if (out) obj = out as T;
    }
    if (subresource !== 'status') {
      const errs = validateObjectMeta(resource, obj);
      errs.push(...(resource.validate?.(obj) ?? []));
      if (old && resource.validateUpdate) errs.push(...resource.validateUpdate(obj, old));
      rejectIfInvalid(resource, obj.metadata.name ?? '', errs);
    }
    this.validate(resource, operation, subresource, obj, old, dryRun);
    return obj;
  }

  /** The validating hooks alone (deletes and subresources that have no strategy validation). */
  validate(
    resource: ResourceDefinition,
    operation: AdmissionOperation,
    subresource: string | undefined,
    object: KubeObject,
    old: KubeObject | undefined,
    dryRun: boolean,
  ): void {
    for (const hook of this.#hooks) {
      if (!hook.validate || !hookApplies(hook, resource, operation)) continue;
      const errs = hook.validate({ operation, resource, subresource, object, oldObject: old, dryRun, store: this.#reader, now: this.#clock.now() });
      if (errs && errs.length > 0) rejectIfInvalid(resource, object.metadata.name ?? '', errs);
    }
  }
}

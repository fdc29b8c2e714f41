/**
 * What a container uses, as cAdvisor would measure it: the annotation a manifest sets
 * (`kubeloop.dev/cpu-usage`, `kubeloop.dev/memory-usage`), else the container's behavior,
 * else a small baseline of its image; plus any load added at run time; CPU capped at the
 * container's limit (the CFS quota throttles it; memory above the limit is an OOM kill, which
 * the runtime plans from the behavior).
 *
 * @module
 */
import { tryParseQuantity } from '@kubeloop/core';
import type { AdmissionHook, AdmissionRequest, FieldError, Pod } from '@kubeloop/core';
import type { ContainerBehavior } from './behavior.js';
import { RuntimeFakeError } from './errors.js';
import type { UsageShape } from './usage-shape.js';
import { parseUsageShape, usageAt } from './usage-shape.js';

/**
 * The CPU usage of each container of the pod over time since its start: a quantity (constant,
 * e.g. `300m`) or a shape — `ramp(from=100m, to=900m, over=5m)`, `steps(0s=100m, 2m=500m)`,
 * `curve(0s=100m, 1m=800m, 3m=200m)` (see `usage-shape.ts`);
 * `kubeloop.dev/cpu-usage.<container>` sets one container's and wins over the pod-wide one.
 */
export const CPU_USAGE_ANNOTATION = 'kubeloop.dev/cpu-usage';
/**
 * The memory usage of each container of the pod (e.g. `64Mi`, or a shape as for
 * {@link CPU_USAGE_ANNOTATION}); `.<container>` for one. Above the memory limit the container is
 * OOM-killed at the moment the shape passes it.
 */
export const MEMORY_USAGE_ANNOTATION = 'kubeloop.dev/memory-usage';

/** CPU (millicores) and memory (bytes). */
export interface ResourceUsage {
  /** Millicores. */
  readonly cpuMillicores: number;
  /** Bytes. */
  readonly memoryBytes: number;
}

const Mi = 2 ** 20;

/** What an idle container of a known image uses, by image name (the last path segment, without tag or digest). */
export const IMAGE_USAGE_BASELINES: Readonly<Record<string, ResourceUsage>> = Object.freeze({
  'hpa-example': { cpuMillicores: 1, memoryBytes: 10 * Mi },
  'php-apache': { cpuMillicores: 1, memoryBytes: 10 * Mi },
  nginx: { cpuMillicores: 1, memoryBytes: 3 * Mi },
  redis: { cpuMillicores: 2, memoryBytes: 3 * Mi },
  busybox: { cpuMillicores: 0, memoryBytes: Mi / 2 },
});

/** The baseline of an image not in {@link IMAGE_USAGE_BASELINES}. */
export const DEFAULT_USAGE_BASELINE: ResourceUsage = Object.freeze({ cpuMillicores: 1, memoryBytes: 2 * Mi });

/** The baseline usage of `image` (`registry.k8s.io/hpa-example:latest` → `hpa-example`). */
export function imageUsageBaseline(image: string): ResourceUsage {
  const last = image.split('/').pop() ?? image;
  const name = last.split('@')[0]!.split(':')[0]!;
  return IMAGE_USAGE_BASELINES[name] ?? DEFAULT_USAGE_BASELINE;
}

/** The parsed usage annotations of one container, or the error of a malformed one. */
interface ContainerShapes {
  readonly cpu: UsageShape | RuntimeFakeError | undefined;
  readonly memory: UsageShape | RuntimeFakeError | undefined;
}

/**
 * Parsed shapes by annotations object, then container: a stored pod is frozen, so one
 * annotations object always says the same and is parsed once, however often the kubelet
 * measures the pod (its status writes keep the object).
 */
const shapesByAnnotations = new WeakMap<object, Map<string, ContainerShapes>>();

function parsed(text: string | undefined, milli: boolean): UsageShape | RuntimeFakeError | undefined {
  if (text === undefined) return undefined;
  try {
    return parseUsageShape(text, milli);
  } catch (error) {
    if (error instanceof RuntimeFakeError) return error;
    throw error;
  }
}

function shapesOf(pod: Pod, container: string): ContainerShapes {
  const annotations = pod.metadata.annotations ?? {};
  let byContainer = shapesByAnnotations.get(annotations);
  const known = byContainer?.get(container);
  if (known !== undefined) return known;
  const shapes: ContainerShapes = {
    cpu: parsed(annotations[`${CPU_USAGE_ANNOTATION}.${container}`] ?? annotations[CPU_USAGE_ANNOTATION], true),
    memory: parsed(annotations[`${MEMORY_USAGE_ANNOTATION}.${container}`] ?? annotations[MEMORY_USAGE_ANNOTATION], false),
  };
  if (Object.isFrozen(annotations)) {
    if (byContainer === undefined) shapesByAnnotations.set(annotations, (byContainer = new Map()));
    byContainer.set(container, shapes);
  }
  return shapes;
}

/**
 * The usage shapes the pod's annotations give one container (`.<container>` wins over the
 * pod-wide key), parsed once per annotations object; undefined where no annotation is set.
 *
 * Errors: {@link RuntimeFakeError} `invalid-usage` for a malformed value (which the API
 * server's {@link usageAnnotationsAdmission} refuses before a kubelet sees it).
 */
export function containerUsageShapes(pod: Pod, container: string): { readonly cpu: UsageShape | undefined; readonly memory: UsageShape | undefined } {
  const { cpu, memory } = shapesOf(pod, container);
  if (cpu instanceof RuntimeFakeError) throw cpu;
  if (memory instanceof RuntimeFakeError) throw memory;
  return { cpu, memory };
}

function shapeOrNothing(shape: UsageShape | RuntimeFakeError | undefined): UsageShape | undefined {
  return shape instanceof RuntimeFakeError ? undefined : shape;
}

/** A running container as {@link containerUsage} needs it. */
export interface UsageContainer {
  /** Its name in the pod. */
  readonly name: string;
  /** Its image. */
  readonly image: string;
  /** Its `resources.limits`. */
  readonly limits?: Readonly<Record<string, string>> | undefined;
}

/**
 * A container's CPU over time since its start: min(`shape`(t) + `offset`, `cap`) millicores —
 * the annotation's shape (else a constant: the behavior's `cpu`, else the image baseline), the
 * added load as `offset`, the CPU limit as `cap` (`Infinity` without one). The kubelet
 * integrates it for `usageCoreNanoSeconds` (see `usageIntegral`).
 */
export interface CpuUsageModel {
  /** What the container itself uses over time, millicores. */
  readonly shape: UsageShape;
  /** Load added at run time, millicores. */
  readonly offset: number;
  /** The CPU limit in millicores, `Infinity` without one. */
  readonly cap: number;
}

const constants = new Map<number, UsageShape>();

function constantShape(value: number): UsageShape {
  let shape = constants.get(value);
  if (shape === undefined) {
    shape = Object.freeze({ kind: 'constant', points: Object.freeze([Object.freeze({ atMs: 0, value })]), interpolation: 'step' } as const);
    if (constants.size < 1024) constants.set(value, shape);
  }
  return shape;
}

/** The {@link CpuUsageModel} of a running container (a malformed annotation counts as absent). */
export function containerCpuModel(pod: Pod, container: UsageContainer, behavior: ContainerBehavior, extra: ResourceUsage | undefined): CpuUsageModel {
  const shape = shapeOrNothing(shapesOf(pod, container.name).cpu) ?? constantShape(behavior.cpuMillicores ?? imageUsageBaseline(container.image).cpuMillicores);
  const limit = container.limits?.['cpu'];
  const limitQ = limit === undefined ? undefined : tryParseQuantity(String(limit));
  const cap = limitQ !== undefined && limitQ.milliValue() > 0 ? limitQ.milliValue() : Number.POSITIVE_INFINITY;
  return { shape, offset: extra?.cpuMillicores ?? 0, cap };
}

/**
 * A running container's usage `elapsedMs` after its start.
 *
 * - CPU: the annotation's shape at `elapsedMs`, else the behavior's `cpu`, else the image
 *   baseline; plus `extra`; then at most the container's CPU limit.
 * - Memory: the annotation's shape at `elapsedMs` (rounded down to whole bytes), else the
 *   behavior's (`memory` and its growth, as `behaviorMemoryBytes` already computed), else the
 *   image baseline; plus `extra`.
 *
 * A malformed annotation counts as absent here (admission refuses it, see
 * {@link usageAnnotationsAdmission}).
 *
 * @example
 * A php-apache container annotated `kubeloop.dev/cpu-usage: 300m` with a `500m` limit uses 300m;
 * annotated `900m`, it is throttled to 500m; annotated `ramp(from=100m, to=900m, over=5m)`, it
 * uses 300m 75 s after its start and 500m (throttled) from 150 s on.
 */
export function containerUsage(pod: Pod, container: UsageContainer, behavior: ContainerBehavior, behaviorMemoryBytes: number, extra: ResourceUsage | undefined, elapsedMs = 0): ResourceUsage {
  const baseline = imageUsageBaseline(container.image);
  const cpu = containerCpuModel(pod, container, behavior, extra);
  const memoryShape = shapeOrNothing(shapesOf(pod, container.name).memory);
  const memoryFromBehavior = behavior.memoryBytes !== undefined || behavior.memoryGrowthBytesPerSecond !== undefined ? behaviorMemoryBytes : undefined;
  const memoryBase = (memoryShape === undefined ? undefined : Math.floor(usageAt(memoryShape, elapsedMs))) ?? memoryFromBehavior ?? baseline.memoryBytes;
  return { cpuMillicores: Math.min(usageAt(cpu.shape, elapsedMs) + cpu.offset, cpu.cap), memoryBytes: memoryBase + (extra?.memoryBytes ?? 0) };
}

const USAGE_ANNOTATION_KEY = /^kubeloop\.dev\/(cpu|memory)-usage(\.[^/]+)?$/;

/**
 * The field errors of a pod's usage annotations: each `kubeloop.dev/cpu-usage[.<container>]`
 * and `kubeloop.dev/memory-usage[.<container>]` must parse (see `parseUsageShape`); rendered
 * as `metadata.annotations[kubeloop.dev/cpu-usage]: Invalid value: "ramp(to=1)": ramp needs from=`.
 */
export function validateUsageAnnotations(annotations: Readonly<Record<string, string>> | undefined): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const m = USAGE_ANNOTATION_KEY.exec(key);
    if (m === null) continue;
    try {
      parseUsageShape(value, m[1] === 'cpu');
    } catch (error) {
      if (!(error instanceof RuntimeFakeError)) throw error;
      errors.push({ type: 'FieldValueInvalid', field: `metadata.annotations[${key}]`, detail: error.message, value });
    }
  }
  return errors;
}

/** The name of {@link usageAnnotationsAdmission}. */
export const USAGE_ANNOTATIONS_ADMISSION = 'kubeloop.dev/usage-annotations';

/**
 * A validating admission hook on pod creates and updates: a malformed usage annotation is
 * refused with 422 Invalid and the annotation's field path (see
 * {@link validateUsageAnnotations}), rather than being ignored by the kubelet.
 */
export function usageAnnotationsAdmission(): AdmissionHook {
  return {
    name: USAGE_ANNOTATIONS_ADMISSION,
    resources: ['pods'],
    operations: ['CREATE', 'UPDATE'],
    validate(request: AdmissionRequest): readonly FieldError[] | void {
      if (request.subresource !== undefined) return;
      const annotations = request.object.metadata.annotations;
      if (annotations === undefined || annotations === request.oldObject?.metadata.annotations) return;
      return validateUsageAnnotations(annotations);
    },
  };
}

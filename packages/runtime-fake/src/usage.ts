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
import type { Pod } from '@kubeloop/core';
import type { ContainerBehavior } from './behavior.js';

/**
 * A constant CPU usage for each container of the pod (a quantity, e.g. `300m`);
 * `kubeloop.dev/cpu-usage.<container>` sets one container's and wins over the pod-wide one.
 */
export const CPU_USAGE_ANNOTATION = 'kubeloop.dev/cpu-usage';
/** A constant memory usage for each container of the pod (e.g. `64Mi`); `.<container>` for one. */
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

function annotated(pod: Pod, key: string, container: string, milli: boolean): number | undefined {
  const annotations = pod.metadata.annotations ?? {};
  const text = annotations[`${key}.${container}`] ?? annotations[key];
  const q = text === undefined ? undefined : tryParseQuantity(text);
  if (q === undefined) return undefined;
  return milli ? q.milliValue() : Math.floor(q.value());
}

/**
 * A running container's usage.
 *
 * - CPU: the annotation, else the behavior's `cpu`, else the image baseline; plus `extra`;
 *   then at most the container's CPU limit.
 * - Memory: the annotation, else the behavior's (`memory` and its growth, as `behaviorMemoryBytes`
 *   already computed), else the image baseline; plus `extra`.
 *
 * @example
 * A php-apache container annotated `kubeloop.dev/cpu-usage: 300m` with a `500m` limit uses 300m;
 * annotated `900m`, it is throttled to 500m.
 */
export function containerUsage(
  pod: Pod,
  container: { readonly name: string; readonly image: string; readonly limits?: Readonly<Record<string, string>> | undefined },
  behavior: ContainerBehavior,
  behaviorMemoryBytes: number,
  extra: ResourceUsage | undefined,
): ResourceUsage {
  const baseline = imageUsageBaseline(container.image);
  const cpuBase = annotated(pod, CPU_USAGE_ANNOTATION, container.name, true) ?? behavior.cpuMillicores ?? baseline.cpuMillicores;
  const memoryFromBehavior = behavior.memoryBytes !== undefined || behavior.memoryGrowthBytesPerSecond !== undefined ? behaviorMemoryBytes : undefined;
  const memoryBase = annotated(pod, MEMORY_USAGE_ANNOTATION, container.name, false) ?? memoryFromBehavior ?? baseline.memoryBytes;
  let cpu = cpuBase + (extra?.cpuMillicores ?? 0);
  const limit = container.limits?.['cpu'];
  const limitQ = limit === undefined ? undefined : tryParseQuantity(String(limit));
  if (limitQ !== undefined && limitQ.milliValue() > 0) cpu = Math.min(cpu, limitQ.milliValue());
  return { cpuMillicores: cpu, memoryBytes: memoryBase + (extra?.memoryBytes ?? 0) };
}

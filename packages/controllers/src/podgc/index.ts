/**
 * The pod garbage collector — upstream's `pkg/controller/podgc`. Every 20 s it force-deletes
 * pods that nothing else would ever finish: pods bound to a node that has been gone for 40 s
 * (confirmed by a live read; marked `Failed` with `DisruptionTarget`/`DeletionByPodGC` first),
 * terminating pods on not-Ready nodes tainted `node.kubernetes.io/out-of-service`, terminating
 * pods that were never scheduled, and the oldest finished pods beyond
 * `--terminated-pod-gc-threshold` (12 500).
 *
 * @module
 */

// Registration
export { podGcPlugin, POD_GC_PLUGIN_NAME } from './plugin.js';

// The controller
export type { PodGcOptions } from './controller.js';

// Taints it acts on
export { TAINT_OUT_OF_SERVICE } from './decide.js';

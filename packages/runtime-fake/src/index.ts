/**
 * @kubeloop/runtime-fake — the simulated nodes: a fake container runtime and a fake kubelet
 * per node, running on kubeloop's virtual clock against its API server.
 *
 * The surface is grouped the way a node is built: install nodes (plugin or factory); the
 * kubelet; container behaviors and how they are chosen; the runtime and its images; and the
 * pure decisions the kubelet makes (status, phases, back-off, probes), exported so that tests
 * and other simulations can check against the same rules.
 *
 * @packageDocumentation
 */

// Installing fake nodes
export { fakeNodesPlugin, startFakeNode } from './plugin.js';
export type { FakeNodesOptions, FakeNodesPlugin, StartFakeNodeOptions } from './plugin.js';

// The kubelet and its node
export { FakeKubelet } from './kubelet.js';
export type { FakeKubeletOptions, PodUsage } from './kubelet.js';
export { FAKE_KUBELET_VERSION, buildNode, checkNodeConfig, healthyNodeConditions, inCIDR, nodeIPFor, podCIDRFor, podIPIn } from './node.js';
export type { FakeNodeConfig } from './node.js';

// Container behaviors
export { BEHAVIOR_ANNOTATION, BehaviorRegistry, containerBehaviorAnnotation, memoryUsage, parseBehavior, plannedExit } from './behavior.js';
export type { ContainerBehavior, PlannedExit } from './behavior.js';

// The container runtime and images
export { FakeContainerRuntime } from './runtime.js';
export type { ContainerExit, ContainerRuntimeOptions, ImageAvailability, RuntimeContainer } from './runtime.js';
export { DEFAULT_IMAGE_SIZE_BYTES, NOMINAL_IMAGE_SIZES, imageRepository, imageSize, normalizeImage, pullDurationMs } from './images.js';
export type { ImageSpec, PullTiming } from './images.js';

// The kubelet's decisions
export { initialPodSyncState, podSyncStep } from './pod-sync.js';
export type { PodSyncAction, PodSyncInput, PodSyncState } from './pod-sync.js';
export { containerStep, initialContainerState } from './container.js';
export type { ContainerMachineAction, ContainerMachineInput, ContainerMachineState, ContainerPhase } from './container.js';
export { ALLOWED_PHASE_TRANSITIONS, computePodStatus, podPhase, statusChanged } from './status.js';
export type { PodRuntimeView } from './status.js';
export { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffStep } from './backoff.js';
export type { BackoffDecision, BackoffEntry } from './backoff.js';
export { initialProbeState, probeAnswer, stepProbe } from './probe.js';
export type { ProbeKind, ProbeResult, ProbeState } from './probe.js';
export { shouldRestart } from './worker.js';
export type { PodEvent, WorkerInput } from './worker.js';
export { formatDuration } from './duration.js';

export { admissionRejection, admitPod, allocatableResources, hostPortsRejection, noExecuteTaintRejection, nodeAffinityRejection, podRequests } from './admission.js';
export type { AdmissionContext, AdmissionRejection, AdmissionResources } from './admission.js';

// Errors
export { RuntimeFakeError } from './errors.js';
export type { RuntimeFakeErrorCode } from './errors.js';

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
export type { ContainerBehavior, ContainerContext, PlannedExit } from './behavior.js';

// Command lines: the shell interpreter that runs containers' commands, and their logs
export { IMAGE_COMMANDS, JOB_COMPLETION_INDEX_ANNOTATION, PLAN_ITERATION_BUDGET, containerArgv, containerEnvironment, containerFiles, containerProgram, expandReferences, loadPodData, podHostname } from './shell/program.js';
export type { ContainerLogLine, ContainerProgram, ImageCommand, ImageFallback, PodData, ProgramContext, ProgramPlan, ProgramRun } from './shell/program.js';
export { SHELL_COMMANDS, globMatch, knowsCommand, parseShellArgs, runShell, sleepMs, syntaxErrorMessage } from './shell/interpret.js';
export type { ShellDialect, ShellEnd, ShellEnvironment, ShellEvent, ShellHints, ShellInvocation, ShellRun } from './shell/interpret.js';
export { ShellSyntaxError, parseScript } from './shell/parse.js';
export type { ShellSyntaxProblem } from './shell/parse.js';
export type { Assignment, Command, Redirect, Script, Word, WordPart } from './shell/ast.js';
export { NO_NETWORK } from './shell/network.js';
export type { HttpOutcome, ShellNetwork } from './shell/network.js';
export { ArithmeticError, evaluateArithmetic } from './shell/arith.js';
export type { ArithmeticScope } from './shell/arith.js';
export { formatDate } from './shell/date.js';
export { piDigits } from './shell/pi.js';
export { ContainerLog, DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_LINES } from './logs.js';
export type { LogLimits } from './logs.js';

// The container runtime and images
export { FakeContainerRuntime } from './runtime.js';
export type { ContainerExit, ContainerRuntimeOptions, ImageAvailability, RuntimeContainer } from './runtime.js';
export { DEFAULT_IMAGE_SIZE_BYTES, NOMINAL_IMAGE_SIZES, imageRepository, imageSize, normalizeImage, pullDurationMs } from './images.js';
export type { ImageSpec, PullTiming } from './images.js';

// The kubelet's decisions
export { ALLOWED_PHASE_TRANSITIONS, computePodStatus, podPhase, statusChanged } from './status.js';
export type { PodRuntimeView } from './status.js';
export { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffStep } from './backoff.js';
export type { BackoffDecision, BackoffEntry } from './backoff.js';
export { initialProbeState, probeAnswer, stepProbe } from './probe.js';
export type { ProbeKind, ProbeResult, ProbeState } from './probe.js';
export { shouldRestart } from './worker.js';
export { formatDuration } from './duration.js';

export { admissionRejection, admitPod, allocatableResources, hostPortsRejection, noExecuteTaintRejection, nodeAffinityRejection, podRequests } from './admission.js';
export type { AdmissionContext, AdmissionRejection, AdmissionResources } from './admission.js';

// Errors
export { RuntimeFakeError } from './errors.js';
export type { RuntimeFakeErrorCode } from './errors.js';

/**
 * @kubeloop/runtime-fake — the simulated nodes: a fake container runtime and a fake kubelet
 * per node, running on kubeloop's virtual clock against its API server.
 *
 * The surface is grouped the way a node is built: install nodes (plugin or factory); the
 * kubelet and its node; container behaviors and how they are chosen; the runtime and its
 * images. How the kubelet decides (admission, pod status and phases, restarts and back-off,
 * probes) stays inside the package; {@link ALLOWED_PHASE_TRANSITIONS} states the phase rule
 * that checks of a whole cluster hold it to.
 *
 * @packageDocumentation
 */

// Installing fake nodes
export { fakeNodesPlugin, startFakeNode } from './plugin.js';
export type { FakeNodesOptions, FakeNodesPlugin, StartFakeNodeOptions } from './plugin.js';

// The kubelet and its node
export { FakeKubelet } from './kubelet.js';
export type { FakeKubeletOptions, PodUsage } from './kubelet.js';
export { FAKE_KUBELET_VERSION, buildNode, checkNodeConfig } from './node.js';
export type { FakeNodeConfig } from './node.js';
export { ALLOWED_PHASE_TRANSITIONS } from './status.js';

// Container behaviors
export { BEHAVIOR_ANNOTATION, BehaviorRegistry, containerBehaviorAnnotation, parseBehavior } from './behavior.js';
export type { ContainerBehavior, ContainerContext, PlannedExit } from './behavior.js';

// Command lines: what containers' shell scripts do, the network hook, and their logs
export { IMAGE_COMMANDS } from './shell/program.js';
export type { ContainerLogLine, ContainerProgram, ImageCommand, ImageFallback, PodData, ProgramExec, ProgramPlan, ProgramRun } from './shell/program.js';
export { NO_NETWORK } from './shell/network.js';
export type { HttpOutcome, ShellNetwork } from './shell/network.js';
export { ContainerLog, DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_LINES } from './logs.js';
export type { LogLimits } from './logs.js';

// The container runtime and images
export { FakeContainerRuntime } from './runtime.js';
export type { ContainerExit, ContainerRuntimeOptions, ImageAvailability, RuntimeContainer } from './runtime.js';
export { DEFAULT_IMAGE_SIZE_BYTES, NOMINAL_IMAGE_SIZES } from './images.js';
export type { ImageSpec, PullTiming } from './images.js';

// Traffic: kube-proxy, cluster DNS, image answers and load flows
export { TRAFFIC_PLUGIN_NAME, trafficPlugin } from './traffic/plugin.js';
export { ANONYMOUS_USER, API_SERVER_BACKEND, API_SERVER_SECURE_PORT, API_SERVER_UNTRUSTED_CERTIFICATE, PUBLIC_INFO_PATHS, answerAsApiServer } from './traffic/apiserver.js';
export type { ApiServerEndpoint } from './traffic/apiserver.js';
export type { TrafficPlugin, TrafficPluginOptions } from './traffic/plugin.js';
export { DEFAULT_OUTSIDE_CLIENT_IP, DNS_TIMEOUT_MS, TrafficModel } from './traffic/model.js';
export type { LoadFlow, NextHop, NextHopHook, RequestOutcome, RoutedConnection, TrafficModelOptions, TrafficRequest } from './traffic/model.js';
export { AffinityTable, candidates, categorizeEndpoints, routeConnection, serviceFor } from './traffic/route.js';
export type { Candidates, Connection, RouteDecision, RouteVia, TrafficSource } from './traffic/route.js';
export { buildTables, keyOf, sliceEndpoints } from './traffic/tables.js';
export type { BackendEndpoint, NamespacedName, PodEntry, ServicePortEntry, TrafficObjects, TrafficTables } from './traffic/tables.js';
export { CLUSTER_DNS_IP, CLUSTER_DOMAIN, NDOTS, answerQuery, candidateNames, resolveName, searchPath } from './traffic/dns.js';
export type { DnsAnswer, SrvRecord } from './traffic/dns.js';
export { COREDNS_IMAGE, KUBE_DNS_LABELS, KUBE_DNS_SERVICE, clusterDnsIP, clusterDnsObjects } from './traffic/cluster-dns.js';
export { CPU_PER_REQUEST_ANNOTATION, DEFAULT_CPU_MS_PER_REQUEST, IMAGE_SERVERS, cpuMsPerRequest, imageServer, serve, servingContainer } from './traffic/answers.js';
export type { HttpRequest, ImageServer, ServerAnswer } from './traffic/answers.js';
export { loadFlows } from './traffic/flows.js';
export type { LoadFlowSpec } from './traffic/flows.js';
export { dnsReachabilityViolations, dnsViolations, localPolicyViolations, readyEndpointViolations, trafficInvariants } from './traffic/invariants.js';

// Errors
export { RuntimeFakeError } from './errors.js';
export type { RuntimeFakeErrorCode } from './errors.js';

// Usage and the metrics pipeline
export {
  CPU_USAGE_ANNOTATION,
  DEFAULT_USAGE_BASELINE,
  IMAGE_USAGE_BASELINES,
  MEMORY_USAGE_ANNOTATION,
  USAGE_ANNOTATIONS_ADMISSION,
  containerCpuModel,
  containerUsage,
  containerUsageShapes,
  imageUsageBaseline,
  usageAnnotationsAdmission,
  validateUsageAnnotations,
} from './usage.js';
export type { CpuUsageModel, ResourceUsage, UsageContainer } from './usage.js';
export { firstTimeAbove, parseUsageShape, usageAt, usageIntegral } from './usage-shape.js';
export type { UsagePoint, UsageShape } from './usage-shape.js';
export {
  DEFAULT_METRIC_RESOLUTION_MS,
  FRESH_CONTAINER_MIN_METRICS_RESOLUTION_MS,
  METRICS_SERVER_PLUGIN_NAME,
  MetricsScraper,
  MetricsStorage,
  decodeResourceMetrics,
  formatCpuUsage,
  formatMemoryUsage,
  formatWindow,
  metricsServerPlugin,
  nodeMetricsOf,
  podMetricsOf,
  pointUsage,
} from './metrics-server.js';
export type { MetricsBatch, MetricsPoint, MetricsServerOptions, PointUsage } from './metrics-server.js';
export { CpuTotals, NODE_SYSTEM_USAGE, formatResourceMetrics, goFloat, parsePrometheusText } from './kubelet-stats.js';
export type {
  PrometheusSample,
  StatsSummary,
  StatsTimes,
  SummaryContainerStats,
  SummaryCpuStats,
  SummaryMemoryStats,
  SummaryNodeStats,
  SummaryPodStats,
} from './kubelet-stats.js';
export {
  CUSTOM_METRICS_ADAPTER_PLUGIN_NAME,
  DEFAULT_ADAPTER_RESOLUTION_MS,
  EXTERNAL_METRIC_LABEL,
  METRIC_ANNOTATION_PREFIX,
  MetricsAdapter,
  REQUESTS_PER_SECOND,
  RequestRates,
  customMetricsAdapterPlugin,
  externalMetricValueOf,
  metricValueOf,
  requestRatesProvider,
} from './custom-metrics.js';
export type { CustomMetricSample, CustomMetricsAdapterOptions, ExternalMetricSample, MetricsProvider, MetricsProviderContext, RequestRate, RequestRateSource } from './custom-metrics.js';
export { DEFAULT_REQUEST_RATE_WINDOW_MS, TrafficRequestRates } from './traffic-request-rates.js';
export type { RequestCounters } from './traffic-request-rates.js';

// A fake cloud: node groups of machines for the Cluster Autoscaler
export { DEFAULT_BOOT_DELAY_MS, FakeCloudProvider, FakeNodeGroup, NODE_GROUP_LABEL } from './cloud.js';
export type { FakeCloudOptions, NodeGroupConfig } from './cloud.js';

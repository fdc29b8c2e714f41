/**
 * @kubeloop/controllers — the reference controllers, each in its own folder, registered
 * through core's plugin API like users' own: the kube-scheduler (`schedulerPlugin`), the node
 * lifecycle controller with taint-based eviction (`nodeLifecyclePlugin`), and the workload
 * controllers of kube-controller-manager — ReplicaSet and ReplicationController
 * (`replicaSetPlugin`, `replicationControllerPlugin`), Deployment (`deploymentPlugin`),
 * DaemonSet (`daemonSetPlugin`), the garbage collector (`garbageCollectorPlugin`), the pod
 * garbage collector (`podGcPlugin`), the Endpoints/EndpointSlice controllers
 * (`endpointsPlugin`) and the resource quota controller (`resourceQuotaPlugin`, with the API
 * server's `resourceQuotaAdmission` hook) — plus the building blocks they share (expectations, claiming, pod
 * control, the deletion ranking). Each folder also exports its invariants for property tests.
 *
 * @packageDocumentation
 */

// Building blocks shared by the workload controllers
export * from './shared/index.js';

// The kube-scheduler
export * from './scheduler/index.js';

// Node lifecycle and taint-based eviction
export * from './nodelifecycle/index.js';

// ReplicaSet and ReplicationController
export * from './replicaset/index.js';

// Service endpoints
export * from './endpoints/index.js';

// The pod garbage collector
export * from './podgc/index.js';

// The garbage collector
export * from './garbagecollector/index.js';

// Deployment
export * from './deployment/index.js';

// DaemonSet
export * from './daemonset/index.js';

// ResourceQuota: admission and the quota controller
export * from './resourcequota/index.js';

// CronJob
export * from './cronjob/index.js';

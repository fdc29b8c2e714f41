/**
 * @kubeloop/controllers — the reference controllers, each in its own folder, registered
 * through core's plugin API like users' own. So far: the kube-scheduler (`schedulerPlugin`)
 * and the node lifecycle controller with taint-based eviction (`nodeLifecyclePlugin`).
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

/**
 * Dependency-injection tokens of the controller runtime (inversify service identifiers). Each
 * names one shared service; {@link createContainer} binds them all.
 *
 * | token | service |
 * |---|---|
 * | `TOKENS.Clock` | the injected `Clock` |
 * | `TOKENS.Rng` | the seeded `Rng` |
 * | `TOKENS.Client` | the `Client` every component talks through |
 * | `TOKENS.Registry` | the `ResourceRegistry` of served kinds |
 * | `TOKENS.InformerFactory` | the one `SharedInformerFactory` of the process |
 * | `TOKENS.Metrics` | the manager's `RuntimeMetrics` |
 * | `TOKENS.ManagerConfig` | the manager's `ManagerConfig` (name, leader election, shutdown) |
 * | `TOKENS.Manager` | the `Manager` |
 * | `TOKENS.AdmissionTarget` | where plugins' admission hooks go (the API server), if any |
 * | `TOKENS.Plugins` | the `PluginHost` that installed plugins register into |
 *
 * @module
 */

/** The service identifiers; see the module documentation for what each one names. */
export const TOKENS = Object.freeze({
  /** The injected `Clock`. */
  Clock: Symbol.for('kubeloop.Clock'),
  /** The seeded `Rng`. */
  Rng: Symbol.for('kubeloop.Rng'),
  /** The `Client`. */
  Client: Symbol.for('kubeloop.Client'),
  /** The `ResourceRegistry`. */
  Registry: Symbol.for('kubeloop.Registry'),
  /** The `SharedInformerFactory`. */
  InformerFactory: Symbol.for('kubeloop.InformerFactory'),
  /** The `RuntimeMetrics`. */
  Metrics: Symbol.for('kubeloop.Metrics'),
  /** The `ManagerConfig`. */
  ManagerConfig: Symbol.for('kubeloop.ManagerConfig'),
  /** The `Manager`. */
  Manager: Symbol.for('kubeloop.Manager'),
  /** The `AdmissionTarget` (the API server), when there is one. */
  AdmissionTarget: Symbol.for('kubeloop.AdmissionTarget'),
  /** The `PluginHost`. */
  Plugins: Symbol.for('kubeloop.Plugins'),
});

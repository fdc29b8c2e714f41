/**
 * @kubeloop/controllers — this package is part of the workspace layout (see DESIGN.md); its API
 * arrives with the issue that builds it.
 *
 * @module
 */
export {};

/**
 * The LimitRanger admission plugin: LimitRange defaults and bounds for pods and claims.
 *
 * @module
 */
export { LIMIT_RANGER, limitRangerAdmission } from './admission.js';
export { LIMIT_RANGER_ANNOTATION, applyContainerDefaults, claimLimitViolations, podLimitViolations } from './decide.js';
export { LIMIT_RANGER_PLUGIN_NAME, limitRangerPlugin } from './plugin.js';

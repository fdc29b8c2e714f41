/**
 * The Priority admission plugin: pod priority from PriorityClasses.
 *
 * @module
 */
export { PRIORITY_ADMISSION, defaultPriorityClass, priorityAdmission } from './admission.js';
export { PRIORITY_PLUGIN_NAME, priorityPlugin } from './plugin.js';

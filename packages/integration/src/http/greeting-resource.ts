/**
 * A plugin that only serves the Greeting kind in `kubeloop serve`: its controller runs outside
 * the cluster, over HTTP, as an operator does.
 */
import type { Plugin } from '@kubeloop/core';
import { Greetings } from '../../../../examples/greeting/greeting.js';

/** Serves the Greeting resource; installs no controller. */
export const greetingResource: Plugin = { name: 'example.kubeloop.dev/greeting-resource', register: (api) => void api.addResource(Greetings) };

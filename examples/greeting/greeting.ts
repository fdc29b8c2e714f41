/**
 * The `Greeting` custom resource (`greetings.example.kubeloop.dev/v1`): a message that the
 * greeting controller publishes as a ConfigMap. Defined with the same `defineResource` the
 * built-in kinds use.
 */
import { z } from 'zod';
import { ConditionSchema, ObjectMetaSchema, defineResource } from '@kubeloop/core';

/** The schema: `spec.message` is required, `spec.language` defaults to `en`. */
export const GreetingSchema = z.object({
  apiVersion: z.literal('example.kubeloop.dev/v1'),
  kind: z.literal('Greeting'),
  metadata: ObjectMetaSchema,
  spec: z.object({
    message: z.string().min(1),
    language: z.string().default('en'),
  }),
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      configMapName: z.string().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});

/** A Greeting. */
export type Greeting = z.infer<typeof GreetingSchema>;

/** The Greeting resource: namespaced, with a status subresource. */
export const Greetings = defineResource({
  group: 'example.kubeloop.dev',
  version: 'v1',
  kind: 'Greeting',
  plural: 'greetings',
  shortNames: ['gr'],
  namespaced: true,
  schema: GreetingSchema,
  subresources: { status: true },
  validate: (g) =>
    g.spec.message.length > 1024
      ? [{ type: 'FieldValueTooLong', field: 'spec.message', detail: 'may not be more than 1024 bytes' }]
      : [],
});

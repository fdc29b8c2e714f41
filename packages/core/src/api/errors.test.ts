import { describe, expect, it } from 'vitest';
import { ApiError, invalid, notFound } from './errors.js';

describe('ApiError', () => {
  it('renders an Invalid error with one cause inline, as the API server does', () => {
    const e = invalid('Deployment', 'apps', 'web', [
      { type: 'FieldValueInvalid', field: 'spec.replicas', value: -1, detail: 'must be greater than or equal to 0' },
    ]);
    expect(e.code).toBe(422);
    expect(e.message).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(e.toStatus().details?.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' },
    ]);
  });

  it('lists several causes in brackets', () => {
    const e = invalid('Pod', '', 'p', [
      { type: 'FieldValueRequired', field: 'spec.containers', detail: '' },
      { type: 'FieldValueInvalid', field: 'metadata.name', value: 'A', detail: 'bad' },
    ]);
    expect(e.message).toBe('Pod "p" is invalid: [spec.containers: Required value, metadata.name: Invalid value: "A": bad]');
  });

  it('qualifies names by group like upstream', () => {
    expect(notFound('deployments', 'apps', 'web').message).toBe('deployments.apps "web" not found');
    expect(notFound('pods', '', 'web-0').message).toBe('pods "web-0" not found');
    expect(new ApiError('Conflict', 'x').code).toBe(409);
  });
});

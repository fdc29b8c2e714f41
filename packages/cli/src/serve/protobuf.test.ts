import { describe, expect, it } from 'vitest';
import { ProtobufDecodeError, decodeKubernetesProtobuf } from './protobuf.js';

// The body kubectl 1.33 sends for `kubectl create deployment d1 --image=nginx` (from `-v=8`).
const CREATE_DEPLOYMENT = Buffer.from(
  '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412a7010a1d0a02643112001a0022002a0032003800' +
    '42005a090a036170701202643112780801120b0a090a03617070120264311a5f0a1b0a0012001a0022002a0032003800' +
    '42005a090a03617070120264311240122' +
    '20a056e67696e7812056e67696e782a0042006a007200800100880100900100a20100' +
    '1a0032004200' +
    '4a00520058006000680082010' +
    '08a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
  'hex',
);

// The bodies of `kubectl autoscale deploy w13x --min 2 --max 5 --cpu-percent 50`: kubectl 1.32
// posts an autoscaling/v1 HPA, 1.33 an autoscaling/v2 one (from `-v=8`).
const AUTOSCALE_1_32 = Buffer.from(
  '6b3873000a290a0e6175746f7363616c696e672f763112174' + '86f72697a6f6e74616c506f644175746f7363616c657212410a140a0477313332' +
    '12001a0022002a0032003800420012230a1b0a0a4465706c6f796d656e741204773133321a07617070732f76311002180520321a041800200' + '01a002200',
  'hex',
);
const AUTOSCALE_1_33 = Buffer.from(
  '6b3873000a290a0e6175746f7363616c696e672f763212174' + '86f72697a6f6e74616c506f644175746f7363616c657212630a140a0477313333' +
    '12001a0022002a0032003800420012450a1b0a0a4465706c6f796d656e741204773133331a07617070732f763110021805222' +
    '20a085265736f7572636522160a03637075120f0a0b5574696c697a6174696f6e20321a04180020001a002200',
  'hex',
);

describe('decodeKubernetesProtobuf', () => {
  it('decodes the autoscaling/v1 and v2 HorizontalPodAutoscalers kubectl autoscale sends', () => {
    const scaleTargetRef = { kind: 'Deployment', name: 'w132', apiVersion: 'apps/v1' };
    expect(decodeKubernetesProtobuf(AUTOSCALE_1_32)).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'w132' },
      spec: { scaleTargetRef, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
    });
    expect(decodeKubernetesProtobuf(AUTOSCALE_1_33)).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'w133' },
      spec: { scaleTargetRef: { ...scaleTargetRef, name: 'w133' }, minReplicas: 2, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
    });
  });

  it("decodes kubectl 1.33's create-deployment body to the JSON kubectl 1.27 sends, zero values dropped", () => {
    expect(decodeKubernetesProtobuf(CREATE_DEPLOYMENT)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd1', labels: { app: 'd1' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'd1' } },
        template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
      },
    });
  });

  it('keeps a pointer field at zero (replicas: 0 is not "unset")', () => {
    // Deployment { spec { replicas: 0 } }
    const raw = Buffer.from([0x12, 0x02, 0x08, 0x00]);
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 0x07]), Buffer.from('apps/v1'), Buffer.from([0x12, 0x0a]), Buffer.from('Deployment')]);
    const body = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw.length]), raw]);
    expect(decodeKubernetesProtobuf(body)).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0 } });
  });

  it('refuses a field it does not know when it carries a value, and a truncated body', () => {
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 0x02]), Buffer.from('v1'), Buffer.from([0x12, 0x09]), Buffer.from('ConfigMap')]);
    const raw = Buffer.from([0x78, 0x01]); // field 15, varint 1
    const body = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, raw.length]), raw]);
    expect(() => decodeKubernetesProtobuf(body)).toThrow(expect.objectContaining({ code: 'unsupported' }) as Error);
    expect(() => decodeKubernetesProtobuf(CREATE_DEPLOYMENT.subarray(0, 40))).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/magic/);
  });
});

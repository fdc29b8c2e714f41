/** Cluster DNS as CoreDNS's kubernetes plugin answers (the Kubernetes DNS specification). */
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '@kubeloop/core';
import { answerQuery, candidateNames, resolveName, searchPath } from './dns.js';
import { buildTables } from './tables.js';

const headless: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }] } } as unknown as Service;
const web: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '10.96.4.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } } as unknown as Service;
const external: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'mail', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'smtp.example.com' } } as unknown as Service;
const slice: EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'db-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
  addressType: 'IPv4',
  ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }],
  endpoints: [
    { addresses: ['10.1.1.1'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.1.2.1'], hostname: 'db-1', conditions: { ready: false } },
  ],
} as unknown as EndpointSlice;
const tables = buildTables({ services: [headless, web, external], endpointSlices: [slice], nodes: [], pods: [] });

describe('cluster DNS', () => {
  it('answers a Service name with its ClusterIP', () => {
    expect(answerQuery(tables, 'web.shop.svc.cluster.local')).toEqual({ kind: 'A', name: 'web.shop.svc.cluster.local', addresses: ['10.96.4.5'] });
  });
  it('answers a headless Service with its ready endpoints only, and all with publishNotReadyAddresses', () => {
    expect(answerQuery(tables, 'db.default.svc.cluster.local')).toMatchObject({ kind: 'A', addresses: ['10.1.1.1'] });
    const all = buildTables({ services: [{ ...headless, spec: { ...headless.spec, publishNotReadyAddresses: true } } as Service], endpointSlices: [slice], nodes: [], pods: [] });
    expect(answerQuery(all, 'db.default.svc.cluster.local')).toMatchObject({ kind: 'A', addresses: ['10.1.1.1', '10.1.2.1'] });
  });
  it('answers <hostname>.<subdomain> for a ready endpoint with a hostname, and NXDOMAIN for a not-ready one', () => {
    expect(answerQuery(tables, 'db-0.db.default.svc.cluster.local')).toMatchObject({ kind: 'A', addresses: ['10.1.1.1'] });
    expect(answerQuery(tables, 'db-1.db.default.svc.cluster.local').kind).toBe('NXDOMAIN');
  });
  it('answers SRV for named ports', () => {
    expect(answerQuery(tables, '_http._tcp.web.shop.svc.cluster.local', 'SRV')).toMatchObject({ kind: 'SRV', records: [{ port: 80, target: 'web.shop.svc.cluster.local' }] });
    expect(answerQuery(tables, '_mysql._tcp.db.default.svc.cluster.local', 'SRV')).toMatchObject({ kind: 'SRV', records: [{ port: 3306, target: 'db-0.db.default.svc.cluster.local' }] });
    expect(answerQuery(tables, '_nope._tcp.web.shop.svc.cluster.local', 'SRV').kind).toBe('NXDOMAIN');
  });
  it('answers an ExternalName Service with a CNAME', () => {
    expect(answerQuery(tables, 'mail.default.svc.cluster.local')).toEqual({ kind: 'CNAME', name: 'mail.default.svc.cluster.local', target: 'smtp.example.com' });
  });
  it('is NXDOMAIN for anything else', () => {
    expect(answerQuery(tables, 'nope.default.svc.cluster.local').kind).toBe('NXDOMAIN');
    expect(answerQuery(tables, 'example.com').kind).toBe('NXDOMAIN');
  });
  it('tries the search path first for names with fewer than five dots (ndots:5)', () => {
    expect(candidateNames('web.shop', searchPath('default'))).toEqual(['web.shop.default.svc.cluster.local', 'web.shop.svc.cluster.local', 'web.shop.cluster.local', 'web.shop']);
    expect(candidateNames('web.shop.svc.cluster.local.', searchPath('default'))).toEqual(['web.shop.svc.cluster.local']);
    expect(resolveName(tables, 'web.shop', 'default')).toMatchObject({ fqdn: 'web.shop.svc.cluster.local', answer: { addresses: ['10.96.4.5'] } });
    expect(resolveName(tables, 'db-0.db', 'default')).toMatchObject({ fqdn: 'db-0.db.default.svc.cluster.local', answer: { addresses: ['10.1.1.1'] } });
    expect(resolveName(tables, 'web', 'default').answer.kind).toBe('NXDOMAIN');
  });
});

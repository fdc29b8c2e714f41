/**
 * The walkthrough manifests (real study material, see /work/shared/walkthroughs/README.md)
 * must be accepted unchanged: they parse with their kind's schema, nothing is pruned, and
 * they pass semantic validation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createBuiltinRegistry } from './index.js';

const DIR = '/work/shared/walkthroughs';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'pod-request-pod.yaml');

function unknownPaths(raw: unknown, decoded: unknown, path = ''): string[] {
  if (raw === null || typeof raw !== 'object' || decoded === null || typeof decoded !== 'object') return [];
  return Object.entries(raw as Record<string, unknown>).flatMap(([k, v]) => {
    const sub = path === '' ? k : `${path}.${k}`;
    const d = (decoded as Record<string, unknown>)[k];
    return d === undefined ? [sub] : unknownPaths(v, d, sub);
  });
}

describe('walkthrough manifests', () => {
  const registry = createBuiltinRegistry();

  it.each(files)('accepts %s unchanged: parsed, nothing pruned, valid', (file) => {
    const raw = parse(readFileSync(join(DIR, file), 'utf8')) as { apiVersion: string; kind: string };
    const def = registry.forKind(raw.apiVersion, raw.kind);
    expect(def, `${raw.apiVersion}/${raw.kind} is registered`).toBeDefined();
    const parsed = def!.schema.safeParse(raw);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(unknownPaths(raw, parsed.data)).toEqual([]);
    const obj = def!.defaults ? def!.defaults(parsed.data!) : parsed.data!;
    expect(def!.validate?.(obj) ?? []).toEqual([]);
    // Defaulting is idempotent: parsing and defaulting the result again changes nothing.
    const again = def!.schema.parse(obj);
    expect(def!.defaults ? def!.defaults(again) : again).toEqual(obj);
  });
});

#!/usr/bin/env node
// The `kubeloop` bin: registers tsx's ESM loader, then runs the TypeScript entry (src/main.ts).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

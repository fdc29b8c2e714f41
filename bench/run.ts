/**
 * `pnpm bench`: runs every `bench/*.bench.ts` (or those whose name contains an argument) and
 * prints their figures; a bench exporting `onDemand = true` runs only when named. Run with `node --expose-gc` semantics via tsx for heap figures.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Figure } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { figures: () => Promise<Figure[]>; onDemand?: boolean };
  // A bench that takes many minutes (scale) runs only when named.
  if (mod.onDemand === true && filters.length === 0) {
    console.log(`\n## ${file.replace('.bench.ts', '')}: skipped (runs when named: pnpm bench ${file.replace('.bench.ts', '')})`);
    continue;
  }
  console.log(`\n## ${file.replace('.bench.ts', '')}`);
  for (const f of await mod.figures()) {
    const value = f.value >= 100 ? Math.round(f.value).toLocaleString('en-US') : f.value.toFixed(2);
    console.log(`${f.name.padEnd(60)} ${value.padStart(14)} ${f.unit}`);
  }
}

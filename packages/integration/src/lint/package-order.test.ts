/**
 * The `kubeloop/package-order` lint rule of eslint.config.js, through ESLint's Node API with the
 * repository's own configuration: in `packages/<pkg>/src`, imports only go down DESIGN.md's
 * package order (core < controllers, runtime-fake < testing < cli < integration), and the two
 * packages on core's level do not import each other. This is the rule that keeps
 * `controllers/src` from importing `SimCluster` again, which made controllers and testing a
 * cyclic workspace dependency.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

/** The package-order messages ESLint reports for `code` as if it were the file at `file`. */
async function packageOrderErrors(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'kubeloop/package-order').map((m) => m.message);
}

const ORDER = 'imports only go down the package order of DESIGN.md (core < controllers, runtime-fake < testing < cli < integration; packages of one level do not import each other)';

describe('the package-order lint rule', () => {
  it('refuses the import that made controllers and testing a cycle: SimCluster in controllers/src, tests included', async () => {
    const code = "import { SimCluster } from '@kubeloop/testing';\nexport const cluster = SimCluster;\n";
    for (const file of ['packages/controllers/src/deployment/testkit.ts', 'packages/controllers/src/deployment/deployment.e2e.test.ts']) {
      expect(await packageOrderErrors(code, file)).toEqual([`@kubeloop/controllers may not import @kubeloop/testing: ${ORDER}.`]);
    }
  });

  it.each([
    ['core imports a controller', 'packages/core/src/api/x.ts', "import { replicaSetPlugin } from '@kubeloop/controllers';\nexport { replicaSetPlugin };\n", 'core', 'controllers'],
    ['a sibling: controllers imports runtime-fake', 'packages/controllers/src/x.ts', "import type { FakeNode } from '@kubeloop/runtime-fake';\nexport type { FakeNode };\n", 'controllers', 'runtime-fake'],
    ['a sibling: runtime-fake imports controllers', 'packages/runtime-fake/src/x.ts', "export * from '@kubeloop/controllers';\n", 'runtime-fake', 'controllers'],
    ['testing imports the cli, by a subpath', 'packages/testing/src/x.ts', "import { run } from '@kubeloop/cli/testing';\nexport { run };\n", 'testing', 'cli'],
    ['a relative path that leaves core for testing', 'packages/core/src/store/x.ts', "export { SimCluster } from '../../../testing/src/index.js';\n", 'core', 'testing'],
    ['a dynamic import of the integration suites from the cli', 'packages/cli/src/x.ts', "export const load = () => import('@kubeloop/integration');\n", 'cli', 'integration'],
  ])('refuses an upward or sideways import: %s', async (_case, file, code, from, to) => {
    expect(await packageOrderErrors(code, file)).toEqual([`@kubeloop/${from} may not import @kubeloop/${to}: ${ORDER}.`]);
  });

  it('allows imports down the order, imports inside a package, and files outside packages/*/src', async () => {
    const down = [
      ['packages/controllers/src/x.ts', "import { Pods } from '@kubeloop/core';\nexport { Pods };\n"],
      ['packages/runtime-fake/src/x.ts', "import type { Pod } from '@kubeloop/core';\nexport type { Pod };\n"],
      ['packages/testing/src/x.ts', "export * from '@kubeloop/core';\nexport * from '@kubeloop/controllers';\nexport * from '@kubeloop/runtime-fake';\n"],
      ['packages/cli/src/x.ts', "import { SimCluster } from '@kubeloop/testing';\nexport { SimCluster };\n"],
      ['packages/integration/src/x/x.test.ts', "import { SimCluster } from '@kubeloop/testing';\nimport { main } from '@kubeloop/cli';\nexport { SimCluster, main };\n"],
      ['packages/core/src/store/x.ts', "import { parseQuantity } from '../api/index.js';\nexport { parseQuantity };\n"],
      ['examples/x/main.ts', "import { SimCluster } from '@kubeloop/testing';\nexport { SimCluster };\n"],
    ];
    for (const [file, code] of down) expect(await packageOrderErrors(code!, file!), file).toEqual([]);
  });

  it('refuses a package that DESIGN.md does not place, so a new package gets a level before it gets code', async () => {
    expect(await packageOrderErrors("export const x = 1;\n", 'packages/operators/src/x.ts')).toEqual([
      `@kubeloop/operators is not in the package order of DESIGN.md (core < controllers, runtime-fake < testing < cli < integration; packages of one level do not import each other); add it to packageOrder in eslint.config.js.`,
    ]);
  });
});

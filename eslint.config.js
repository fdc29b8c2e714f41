// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';
import path from 'node:path';

/**
 * DESIGN.md "Time and determinism": time and randomness only come from the injected clock and
 * the seeded RNG. These selectors forbid the ambient sources everywhere else.
 */
const determinism = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected Clock (clock.now()) instead of Date.now().' },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected Clock instead of new Date().' },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Use the seeded Rng instead of Math.random().' },
  { selector: "CallExpression[callee.name='setTimeout']", message: 'Use clock.setTimer() instead of setTimeout.' },
  { selector: "CallExpression[callee.name='setInterval']", message: 'Use the Clock instead of setInterval.' },
  { selector: "CallExpression[callee.object.name='globalThis'][callee.property.name=/^(setTimeout|setInterval)$/]", message: 'Use the injected Clock.' },
];

/**
 * DESIGN.md "Packages and the direction of imports": imports only go down the package list.
 * Each inner array is one level; a package may import the levels below its own, never its own
 * level's siblings (controllers and runtime-fake both sit on core alone) nor anything above.
 * `integration` is the private package of the controllers' SimCluster suites, at the top:
 * nothing imports it.
 */
const packageOrder = [['core'], ['controllers', 'runtime-fake'], ['testing'], ['cli'], ['integration']];
const packageLevel = new Map(packageOrder.flatMap((level, i) => level.map((name) => /** @type {const} */ ([name, i]))));
const orderText = `${packageOrder.map((level) => level.join(', ')).join(' < ')}; packages of one level do not import each other`;

/**
 * `kubeloop/package-order`: in `packages/<pkg>/src`, an import of another workspace package —
 * by name (`@kubeloop/<name>` or a subpath of it) or by a relative path that leaves the package
 * — must name a package on a lower level of {@link packageOrder}. Checks static imports and
 * re-exports (type-only ones too), dynamic `import()`, `import('…')` types and
 * `declare module` augmentations. Files outside `packages/<pkg>/src` are not checked.
 *
 * @type {import('eslint').Rule.RuleModule}
 */
const packageOrderRule = {
  meta: {
    type: 'problem',
    docs: { description: "imports only go down DESIGN.md's package order" },
    messages: {
      upward: '@kubeloop/{{from}} may not import @kubeloop/{{to}}: imports only go down the package order of DESIGN.md ({{order}}).',
      unknown: '@kubeloop/{{to}} is not in the package order of DESIGN.md ({{order}}); add it to packageOrder in eslint.config.js.',
    },
    schema: [],
  },
  create(context) {
    const filename = context.filename.split(path.sep).join('/');
    const own = /^(.*\/)?packages\/([^/]+)\/src\//.exec(filename);
    if (!own) return {};
    const root = own[1] ?? '';
    const from = own[2] ?? '';
    const fromLevel = packageLevel.get(from);
    /** The workspace package a specifier points into, or undefined for anything else. */
    const target = (/** @type {string} */ spec) => {
      const named = /^@kubeloop\/([^/]+)/.exec(spec);
      if (named) return named[1];
      if (!spec.startsWith('.')) return undefined;
      const resolved = path.posix.join(path.posix.dirname(filename), spec);
      return /^packages\/([^/]+)(\/|$)/.exec(path.posix.relative(root || '.', resolved))?.[1];
    };
    /** @param {any} node a string literal naming a module, or anything else (ignored) */
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const to = target(node.value);
      if (to === undefined || to === from) return;
      const toLevel = packageLevel.get(to);
      if (toLevel === undefined) context.report({ node, messageId: 'unknown', data: { to, order: orderText } });
      else if (fromLevel !== undefined && toLevel >= fromLevel) context.report({ node, messageId: 'upward', data: { from, to, order: orderText } });
    };
    return {
      Program: (node) => {
        if (fromLevel === undefined) context.report({ node, messageId: 'unknown', data: { to: from, order: orderText } });
      },
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      /** @param {any} node `import('…').T` in a type position */
      TSImportType: (node) => check(node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
      /** @param {any} node `declare module '…'` */
      TSModuleDeclaration: (node) => check(node.id),
    };
  },
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'docs/api/**', '**/dist/**', '.stryker-tmp*/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      'no-restricted-syntax': ['error', ...determinism],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    plugins: { kubeloop: { rules: { 'package-order': packageOrderRule } } },
    rules: { 'kubeloop/package-order': 'error' },
  },
  {
    // The clock and RNG implementations are the only places allowed to touch ambient time.
    files: ['packages/core/src/clock/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: {
      'vitest/no-focused-tests': 'error',
      'vitest/no-disabled-tests': 'error',
      // Test files share their worker's modules (`isolate: false` in vitest.config.ts): a
      // module mock or a stubbed global would leak into the files run after it.
      'no-restricted-properties': [
        'error',
        ...['mock', 'doMock', 'stubGlobal', 'stubEnv', 'useFakeTimers'].map((property) => ({
          object: 'vi',
          property,
          message: 'test files share modules (isolate: false); use the injected clock and plain fakes instead',
        })),
      ],
    },
  },
);

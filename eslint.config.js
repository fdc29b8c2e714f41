// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

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

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'docs/api/**', '**/dist/**'] },
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

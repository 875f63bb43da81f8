// ESLint flat config (ESLint 10). Syntax-only linting: no type-aware rules, so `npm run lint`
// stays fast and does not need a TypeScript program. `npm run typecheck` covers the types.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import n from 'eslint-plugin-n';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.{ts,mts,cts,tsx}'];

export default defineConfig([
  globalIgnores(['node_modules', '**/node_modules', '.data', '.cache', 'dist', '**/dist', 'web/dist', 'coverage', 'test-results']),

  // Our own JavaScript: the config files (eslint.config.js is ESM, *.cjs is CommonJS).
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // TypeScript: @eslint/js recommended + typescript-eslint recommended (not the type-checked set).
  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // `_`-prefixed names are deliberately unused (handler signatures, destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
    },
  },

  // Configuration is read from the environment in exactly one place per process: the service
  // entry points (and CLIs, scripts, tests, benchmarks) call parseConfig(process.env) from
  // packages/contracts/src/config.ts and pass the typed result down. Library code never reads
  // process.env itself.
  {
    plugins: { n },
    rules: { 'n/no-process-env': 'error' },
  },
  {
    files: [
      'services/*/src/main.ts',
      'scripts/**',
      'test/**',
      '**/test/**',
      'loadtest/src/cli.ts',
      'bench/**',
      'vitest.config.ts',
      'web/vite.config.ts',
    ],
    rules: { 'n/no-process-env': 'off' },
  },

  // Services log through pino (and the contracts package does not log at all); only the entry
  // points may write to the console, e.g. for a fatal start-up error before a logger exists.
  {
    files: ['packages/**', 'services/**/src/**'],
    ignores: ['**/main.ts'],
    rules: { 'no-console': 'error' },
  },

  // The dashboard chart components only render: every aggregate is computed by the collector in
  // SQL, so the browser never folds over data points.
  {
    files: ['web/src/components/qs-chart/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='reduce']",
          message: 'no arithmetic in the browser: the collector computes it by SQL',
        },
      ],
    },
  },
]);

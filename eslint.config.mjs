// Mirrors temporalio/samples-typescript: type-aware rules, no floating promises,
// and no Node built-ins (or I/O libraries) in workflow code, which must stay deterministic.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  // examples/ are type-checked as a user's project would be, by test/e2e/consumer.e2e.test.ts.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'object-shorthand': ['error', 'always'],
    },
  },
  {
    files: ['workflows/**/*.ts', 'policy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, 'ssh2', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
          patterns: [{ group: ['**/runtime/**', '**/activities/**', '**/workers/**', '**/infra/**'], message: 'workflow and policy code must not do I/O' }],
        },
      ],
    },
  },
);

// ESLint (flat config): typescript-eslint's type-aware recommended rules over the TypeScript sources.
// `make lint` runs it (with the CRD check and prettier --check); see the Makefile.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', '**/*.js', '**/*.mjs'] },
  {
    files: ['{src,test,bench,scripts}/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it/test return a promise the runner itself tracks; awaiting them is not needed.
          // (A subtest `t.test()` is still reported: the parent must await it.)
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }],
        },
      ],
    },
  },
);

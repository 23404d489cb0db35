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
      // `_`-prefixed names are deliberately unused (an argument an interface requires; `{ a: _a, ...rest }` to drop a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Passing on a caught error or an abort signal's reason (unknown by type) is the point of those rejections.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Off: an async method without await is how a Promise-returning interface method is written; dropping `async` would turn its throws synchronous.
      '@typescript-eslint/require-await': 'off',
      // Off: the regexes with control characters escape or refuse exactly those characters (output escaping, object names).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests build loosely-typed fixtures (Record<string, any>) and read parsed CLI/JSON output: a wrong shape fails
    // the test's own assertion at run time, so the any-leak rules are off there (they stay on for src, bench, scripts).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);

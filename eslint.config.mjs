// Lint guards what breaks production quietly: promises nobody awaits, I/O inside the workflow
// sandbox, clocks and randomness in the pure rules, console output that bypasses the logger.
import tseslint from 'typescript-eslint';

const NOT_IN_WORKFLOWS =
  'Workflow code runs in a deterministic sandbox: import only @temporalio/workflow, domain/ and workflow contracts (activities as types only).';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'data/', 'dist/', 'coverage/', 'test/artifacts/', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      'no-console': 'error',
      // A control character in a pattern is almost always a typo; the few on purpose say so.
      'no-control-regex': 'error',
    },
  },
  {
    files: ['scripts/**/*.ts', 'test/**/*.ts', 'main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!@temporalio/workflow$|@temporalio/common$|\\.)', message: NOT_IN_WORKFLOWS },
            { regex: '/(bot|api|worker|scenarios|migrations)(/|$)', message: NOT_IN_WORKFLOWS },
            { regex: '/(config|logging|system|knexfile|main)$', message: NOT_IN_WORKFLOWS },
            { regex: '/(activities|db)(/|$)', allowTypeImports: true, message: NOT_IN_WORKFLOWS },
          ],
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'domain/ takes the time as an argument.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'domain/ takes randomness as an argument.' },
      ],
    },
  },
);

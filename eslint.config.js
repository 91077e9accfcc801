import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The module graph's rules (STYLE.md "Layout"): arrows point inward, and a module is reached only
// through its public file. Each rule below names the boundary it keeps.
const OTHER_MODULE_PRIVATE_FILE = {
  regex: String.raw`^\.\./(?!\.\.)[^/]+/(?!(service|schemas)\.ts$)[^/]+`,
  message: "Reach another module only through its public files: '../<module>/service.ts' (use cases) or '../<module>/schemas.ts' (wire shapes).",
};
const HTTP_LAYER_FROM_MODULE = {
  regex: String.raw`^(\.\./)+http/`,
  message: 'Only route files import src/http; use cases take plain inputs and narrowed deps (src/app-deps.ts).',
};
const OUTSIDE_DOMAIN = {
  regex: String.raw`^\.\./`,
  message: 'src/domain holds pure rules: it imports nothing of ours but src/domain.',
};

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', 'web/dist', 'web/src/api/schema.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Functions that fit on a screen (STYLE.md).
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-restricted-imports': ['error', { patterns: [OUTSIDE_DOMAIN] }],
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    // Route files are the HTTP edge; seed files compose the demo data across modules, as the root does.
    ignores: ['src/modules/**/routes.ts', 'src/modules/**/*-routes.ts', 'src/modules/**/seed.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [OTHER_MODULE_PRIVATE_FILE, HTTP_LAYER_FROM_MODULE] }] },
  },
  {
    files: ['src/modules/**/routes.ts', 'src/modules/**/*-routes.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [OTHER_MODULE_PRIVATE_FILE] }] },
  },
  {
    files: ['src/jobs/**/*.ts', 'src/adapters/**/*.ts', 'src/db/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [HTTP_LAYER_FROM_MODULE] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

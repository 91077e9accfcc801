import { dirname, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
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

/**
 * The web app's zones (WEB.md "Layout"): a feature never imports another feature (shared code goes to
 * web/src/components or lib), and from the server tree only the pure rules in src/domain — never
 * src/modules (they pull in the database) nor domain/ids.ts (node:crypto).
 */
const webZones = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const root = context.cwd;
    const zoneOf = (file) => relative(root, file).split(sep).join('/');
    const here = zoneOf(context.filename);
    const hereFeature = /^web\/src\/features\/([^/]+)\//.exec(here)?.[1];
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const target = zoneOf(resolve(dirname(context.filename), specifier));
      const targetFeature = /^web\/src\/features\/([^/]+)(\/|$)/.exec(target)?.[1];
      if (hereFeature && targetFeature && targetFeature !== hereFeature) {
        context.report({ node: node.source, message: `Features do not import each other ('${hereFeature}' → '${targetFeature}'): move what both need to web/src/components or web/src/lib.` });
      } else if (!target.startsWith('web/') && !(target.startsWith('src/domain/') && !/^src\/domain\/ids(\.ts)?$/.test(target))) {
        context.report({ node: node.source, message: 'The web app imports from the server tree only pure src/domain rules (not domain/ids.ts, which needs node:crypto).' });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
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
    files: ['web/src/**/*.{ts,tsx}'],
    ...jsxA11y.flatConfigs.recommended,
    plugins: { ...jsxA11y.flatConfigs.recommended.plugins, 'react-hooks': reactHooks, simkeep: { rules: { 'web-zones': webZones } } },
    rules: {
      ...jsxA11y.flatConfigs.recommended.rules,
      ...reactHooks.configs.flat['recommended-latest'].rules,
      'simkeep/web-zones': 'error',
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

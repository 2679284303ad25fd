// Lint for the whole tree. The `boundaries` table below is the import contract between the
// src-main folders (see ../shared/STYLE.md): each folder lists the sibling folders it must not import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';
import globals from 'globals';

const folders = [
  'shared',
  'native',
  'files',
  'engine',
  'weights',
  'protocol',
  'store',
  'jobs',
  'cluster',
  'api',
  'server',
  'electron',
  'cli',
];

/** Folders each src-main folder may import (besides itself). */
const allowed = {
  shared: [],
  native: ['shared'],
  files: ['shared'],
  engine: ['shared', 'native'],
  weights: ['shared', 'files', 'native'],
  protocol: ['shared', 'engine', 'weights'],
  store: ['shared', 'weights', 'files'],
  jobs: ['shared', 'files', 'engine', 'weights', 'protocol', 'store'],
  cluster: ['shared', 'files', 'protocol', 'store', 'jobs'],
  api: ['shared', 'files', 'engine', 'weights', 'protocol', 'store', 'jobs', 'cluster'],
  server: ['shared', 'files', 'api', 'store', 'jobs'],
  electron: ['shared', 'files', 'api', 'store', 'jobs'],
  cli: ['shared', 'files', 'engine', 'weights', 'protocol', 'store', 'jobs', 'cluster', 'api', 'server'],
};

const noElectron = { name: 'electron', message: 'Only src-main/electron may import electron.' };
const extraBans = {
  shared: [
    { group: ['node:*', 'better-sqlite3', '@tensorflow/*', 'ws'], message: 'shared/ is runtime-free.' },
  ],
  files: [
    {
      group: ['better-sqlite3', 'ws', '@tensorflow/*'],
      message: 'files/ is node:fs plumbing for writes to user-named paths.',
    },
  ],
  native: [
    {
      group: ['better-sqlite3', 'ws', '@tensorflow/*'],
      message: 'native/ only finds and loads the native addon.',
    },
  ],
  engine: [{ group: ['better-sqlite3', 'ws'], message: 'engine/ uses the tfjs API only.' }],
  weights: [
    {
      group: ['better-sqlite3', 'ws', '@tensorflow/*'],
      message: 'weights/ is pure functions over typed arrays.',
    },
  ],
};

/** What no renderer file may import: it runs in a browser sandbox and knows only the contract. */
const rendererBans = [
  {
    group: ['node:*', 'better-sqlite3', 'ws', '@tensorflow/*'],
    message: 'The renderer runs in a browser sandbox.',
  },
  {
    group: folders.filter((f) => f !== 'shared').map((f) => `**/src-main/${f}/**`),
    message: 'The renderer may import only src-main/shared (as @shared).',
  },
];

// Folders group their files by capability in subfolders (api/weights, jobs/protocol…) that may share a
// name with a top-level folder, so a ban is anchored at src-main: from a file `depth` subfolders below
// its folder, src-main/<other> is `../` × (depth + 1) + <other>.
const MAX_DEPTH = 3;
const boundaryConfigs = folders.flatMap((folder) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
    const up = '../'.repeat(depth + 1);
    return {
      files: [`src-main/${folder}/${'*/'.repeat(depth)}*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: folder === 'electron' ? [] : [noElectron],
            patterns: [
              ...folders
                .filter((other) => other !== folder && !allowed[folder].includes(other))
                .map((other) => ({
                  group: [`${up}${other}`, `${up}${other}/**`],
                  message: `src-main/${folder} may not import src-main/${other} (see eslint.config.js).`,
                })),
              ...(extraBans[folder] ?? []),
            ],
          },
        ],
      },
    };
  }),
);

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'tests/fixtures/generated/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  { files: ['bin/**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: rendererBans }] },
  },
  {
    // Components and views reach the main side through the stores' actions, never useApi().
    files: [
      'src-renderer/App.vue',
      'src-renderer/components/**/*.{ts,vue}',
      'src-renderer/views/**/*.{ts,vue}',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            ...rendererBans,
            {
              group: ['**/api/provider'],
              message:
                'Components call store actions; only stores use useApi() (see src-renderer/stores/README.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer's pure models: no stores, no Vue, no Pinia (see src-renderer/models/README.md).
    files: ['src-renderer/models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, 'vue', 'pinia'],
          patterns: [
            {
              group: ['node:*', 'better-sqlite3', 'ws', '@tensorflow/*'],
              message: 'The renderer runs in a browser sandbox.',
            },
            {
              group: ['../stores', '../stores/**'],
              message: 'src-renderer/models are pure: stores import models, not the reverse.',
            },
            {
              group: folders.filter((f) => f !== 'shared').map((f) => `**/src-main/${f}/**`),
              message: 'The renderer may import only src-main/shared (as @shared).',
            },
          ],
        },
      ],
    },
  },
  ...boundaryConfigs,
  {
    // The chart option builders in shared/charts are pure: ECharts types only, never its runtime.
    files: ['src-main/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['echarts', 'echarts/*'],
              allowTypeImports: true,
              message: 'shared/ may import echarts types only (import type).',
            },
          ],
        },
      ],
    },
  },
);

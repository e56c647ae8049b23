// @ts-check
/**
 * ESLint flat config for the whole monorepo (shared/, server/, web/).
 *
 * Two halves:
 *  1. Code rules: typescript-eslint `recommendedTypeChecked` plus a few stricter rules,
 *     type-aware through the TypeScript project service (the tsconfig project references).
 *  2. Import boundaries (docs: /work/shared/design/STYLE-MODELS.md §4.3) with `no-restricted-imports`.
 *
 * How the boundary blocks work: in flat config the LAST block that matches a file decides a rule's
 * options, they are never merged. So the boundary rules are described as nested "zones" (server →
 * server/src/modules → server/src/modules/<m>, …); every zone carries its parents' restrictions as
 * well as its own and is emitted after its parent. Every `*.rules.ts` file gets a second block per
 * zone that adds the "no I/O" restrictions. Per-module and per-feature zones are generated from the
 * directories that exist when the config loads, so a new module or feature is covered automatically.
 */
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

const TS_FILES = ["**/*.ts", "**/*.tsx"];
const RULES_FILES = "**/*.rules.ts";
const TEST_FILES = ["**/*.test.ts", "**/*.test.tsx", "server/test/**", "server/e2e/**", "server/bench/**"];

/** @param {string} relative directory, relative to the repository root */
function subdirectories(relative) {
  const dir = path.join(root, relative);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}

/** @param {string} text */
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

// ---------------------------------------------------------------------------------------------
// Restrictions (import specifier regexes). `regex` is used rather than gitignore-style `group`
// globs because a leading "#" is a comment in gitignore syntax.
// ---------------------------------------------------------------------------------------------

/** @typedef {{ regex: string, message: string }} Restriction */

/** Every Node built-in, with or without the `node:` prefix (fs, fs/promises, node:sqlite, …). */
const bareBuiltins = [
  ...new Set(
    builtinModules
      .filter((name) => !name.startsWith("node:") && !name.startsWith("_"))
      .map((name) => name.split("/")[0] ?? name),
  ),
];

const restrict = {
  serverParentImport: {
    regex: "^\\.\\.(/|$)",
    message: "No relative parent imports in server/: use the #server/… or #test/… alias (always with the .ts extension).",
  },
  webParentImport: {
    regex: "^\\.\\.(/|$)",
    message: "No relative parent imports in web/src: use the #web/… alias (always with the .ts/.tsx extension).",
  },
  moduleInternals: {
    regex: "^#server/modules/[^/]+/(?!index\\.ts$)",
    message: "Use a module only through its public surface, #server/modules/<module>/index.ts, never the files inside it.",
  },
  storageFromTransport: {
    regex: "^#server/storage(/|$)",
    message: "api/ and workers/ never touch storage: call a module's service through #server/modules/<module>/index.ts.",
  },
  dbDriversFromTransport: {
    regex: "^(kysely|pg|node:sqlite)(/|$)",
    message: "api/ and workers/ never use a database driver (kysely, pg, node:sqlite): go through a module's index.ts.",
  },
  transportFromModules: {
    regex: "^(fastify(-[^/]+)?|@fastify/[^/]+)(/|$)",
    message: "Modules are transport-neutral: no fastify, @fastify/* or fastify-* imports. HTTP belongs in server/src/api.",
  },
  apiOrWorkersFromModules: {
    regex: "^#server/(api|workers)(/|$)",
    message: "Modules never import server/src/api or server/src/workers; those layers call modules, not the other way round.",
  },
  compositionRoot: {
    regex: "^#server/(main|compose)\\.ts$",
    message: "Only the entry point and tests use the composition root (#server/main.ts, #server/compose.ts); receive dependencies instead.",
  },
  fromPlatform: {
    regex: "^#server/(modules|api|storage|workers)(/|$)",
    message: "platform/ is domain-free and storage-free: it must not import modules/, api/, storage/ or workers/.",
  },
  fromStorage: {
    regex: "^#server/(modules|api|workers)(/|$)",
    message: "storage/ must not import modules/, api/ or workers/ (modules depend on storage, never the reverse).",
  },
  nodeBuiltins: {
    regex: `^(node:.*|(${bareBuiltins.map(escapeRegex).join("|")})(/.*)?)$`,
    message: "No I/O here: shared/** and *.rules.ts files are pure and may not import Node built-ins.",
  },
  storageNoIo: {
    regex: "^#server/storage(/|$)",
    message: "No I/O here: shared/** and *.rules.ts files are pure and may not import #server/storage.",
  },
  dbDriversNoIo: {
    regex: "^(kysely|pg)(/|$)",
    message: "No I/O here: shared/** and *.rules.ts files are pure and may not import kysely or pg.",
  },
  serverFromShared: {
    regex: "^(#server/|#test/|@auspex/server(/|$))",
    message: "shared/ is imported by the server and the web UI; it must not depend on the server.",
  },
};

/** @type {Restriction[]} */
const noIo = [restrict.nodeBuiltins, restrict.storageNoIo, restrict.dbDriversNoIo];

/** @param {string} module directory name under server/src/modules */
function otherModulesInternals(module) {
  return {
    regex: `^#server/modules/(?!${escapeRegex(module)}/)[^/]+/(?!index\\.ts$)`,
    message: `Module "${module}" may use another module only through that module's index.ts (#server/modules/<module>/index.ts).`,
  };
}

/** @param {string} feature directory name under web/src/features */
function otherFeatures(feature) {
  return {
    regex: `(^|/)features/(?!${escapeRegex(feature)}(/|$))[^/]+`,
    message: `Feature "${feature}" must not import from another feature; move shared pieces to #web/components/ui or #web/lib.`,
  };
}

/** @param {Restriction[]} restrictions */
const dedupe = (restrictions) => [...new Map(restrictions.map((r) => [r.regex + r.message, r])).values()];

/** @param {Restriction[]} restrictions */
const restrictedImports = (restrictions) => ({
  "no-restricted-imports": /** @type {const} */ (["error", { patterns: dedupe(restrictions) }]),
});

/**
 * The import-boundary config blocks for the given server modules and web features (directory names).
 * Exported so the boundary test can also check generated per-module/per-feature blocks for
 * directories that do not exist yet; the default export below uses the real directories.
 *
 * Zones go from general to specific and each carries its parent's restrictions, because the last
 * matching block wins.
 *
 * @param {{ modules: readonly string[], features: readonly string[] }} dirs
 */
export function boundaryBlocks({ modules, features }) {
  /** @typedef {{ name: string, files: string[], restrictions: Restriction[] }} Zone */
  /** @type {Zone[]} */
  const zones = [];
  /** @param {string} name @param {string[]} files @param {Restriction[]} restrictions @param {Zone} [parent] */
  const zone = (name, files, restrictions, parent) => {
    const created = { name, files, restrictions: [...(parent?.restrictions ?? []), ...restrictions] };
    zones.push(created);
    return created;
  };

  const server = zone("server", ["server/**"], [restrict.serverParentImport]);
  const transport = [restrict.moduleInternals, restrict.storageFromTransport, restrict.dbDriversFromTransport];
  zone("server/src/api", ["server/src/api/**"], transport, server);
  zone("server/src/workers", ["server/src/workers/**"], transport, server);
  const modulesZone = zone(
    "server/src/modules",
    ["server/src/modules/**"],
    [restrict.transportFromModules, restrict.apiOrWorkersFromModules, restrict.compositionRoot],
    server,
  );
  // Files directly in modules/ belong to no module, so they may use modules only through their index.ts.
  zone("server/src/modules/*", ["server/src/modules/*"], [restrict.moduleInternals], modulesZone);
  for (const module of modules) {
    zone(`server/src/modules/${module}`, [`server/src/modules/${module}/**`], [otherModulesInternals(module)], modulesZone);
  }
  zone("server/src/platform", ["server/src/platform/**"], [restrict.fromPlatform, restrict.compositionRoot], server);
  zone("server/src/storage", ["server/src/storage/**"], [restrict.fromStorage, restrict.compositionRoot], server);

  zone("shared", ["shared/**"], [...noIo, restrict.serverFromShared]);

  const webSrc = zone("web/src", ["web/src/**"], [restrict.webParentImport]);
  for (const feature of features) {
    zone(`web/src/features/${feature}`, [`web/src/features/${feature}/**`], [otherFeatures(feature)], webSrc);
  }

  return [
    // *.rules.ts files outside every zone still get the no-I/O restrictions.
    { name: "auspex/boundaries/*.rules.ts", files: [RULES_FILES], rules: restrictedImports(noIo) },
    ...zones.flatMap((z) => [
      { name: `auspex/boundaries/${z.name}`, files: z.files, ignores: [RULES_FILES], rules: restrictedImports(z.restrictions) },
      {
        name: `auspex/boundaries/${z.name}/*.rules.ts`,
        files: z.files.map((glob) => [glob, RULES_FILES]),
        rules: restrictedImports([...z.restrictions, ...noIo]),
      },
    ]),
  ];
}

/** Pure code may not reach the network through globals either (STYLE-MODELS §4.3: "no fetch"). */
const noIoGlobals = ["fetch", "XMLHttpRequest", "WebSocket", "EventSource"].map((name) => ({
  name,
  message: "No I/O here: shared/** and *.rules.ts files are pure; do network calls in a service or the web lib/.",
}));

export default defineConfig([
  globalIgnores(["**/node_modules/", "web/dist/", "data/", "**/coverage/"]),

  {
    name: "auspex/javascript",
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },

  {
    name: "auspex/typescript",
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always", { null: "ignore" }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's describe()/it() return promises that the runner itself awaits.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      // A `default:` branch is a deliberate catch-all (e.g. switch on `string | undefined`), so only
      // switches without one must list every member of a union.
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // `async () => value` is how this codebase satisfies Promise-returning contracts (Fastify
      // handlers, Kysely's MigrationProvider); the promise rules above catch the real async bugs.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { prefer: "type-imports", fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },

  { name: "auspex/globals/server", files: ["server/**"], languageOptions: { globals: globals.node } },
  { name: "auspex/globals/web", files: ["web/src/**"], languageOptions: { globals: globals.browser } },
  { name: "auspex/globals/web-tooling", files: ["web/vite.config.ts"], languageOptions: { globals: globals.node } },

  {
    name: "auspex/web",
    files: ["web/src/**/*.ts", "web/src/**/*.tsx"],
    rules: {
      // <button onClick={async () => …}> is fine: React ignores the returned promise.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Named exports only (STYLE-MODELS §4.2)." },
      ],
    },
  },

  {
    name: "auspex/tests",
    files: TEST_FILES,
    rules: {
      // Responses parsed from JSON in tests are `any`; asserting on them is the point.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },

  ...boundaryBlocks({ modules: subdirectories("server/src/modules"), features: subdirectories("web/src/features") }),

  { name: "auspex/no-io-globals", files: ["shared/**", RULES_FILES], rules: { "no-restricted-globals": ["error", ...noIoGlobals] } },
]);

// Architecture boundaries, checked by `npm run boundaries` (dependency-cruiser 17).
//
// Paths in the rules are relative to the repository root. Workspace packages are imported by
// their package name (`@queuescope/contracts`); node_modules/@queuescope/* are symlinks, and with
// preserveSymlinks: false they resolve to their real path (packages/contracts/src/index.ts), so
// such an import is a local dependency, not an npm one, and the rules below see where it lands.
//
// Scripts (scripts/), benchmarks (bench/) and tests (test/, services/*/test/, packages/*/test/)
// may import anything: no rule below restricts them except no-circular and not-to-unresolvable.

/** Test code, exempt from the layering rules. */
const TEST_PATHS = ['(^|/)test/', '\\.test\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make module initialisation order-dependent (ESM live bindings are ' +
        'undefined until the cycle finishes loading) and mean the modules cannot be understood, ' +
        'tested or split apart on their own. Break the cycle by moving the shared part into a ' +
        'module both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'services-isolated',
      severity: 'error',
      comment:
        'Each service (producer, worker, collector) is a separately deployed process. A service ' +
        'talks to another only through Redis/HTTP using the shared types in @queuescope/contracts; ' +
        "importing another service's code couples their releases and drags its dependencies in. " +
        'Move what both need into packages/contracts (wire types, config) or packages/service-kit ' +
        '(server plumbing: HTTP errors, error handler, logger, timeouts, runServer).',
      from: { path: '^services/([^/]+)/', pathNot: TEST_PATHS },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'contracts-pure-npm',
      severity: 'error',
      comment:
        'packages/contracts is the wire contract shared by every service (and later the browser): ' +
        'schemas, keys and config parsing. Its only npm dependency is typebox; anything else ' +
        '(fastify, bullmq, ioredis, pino, ...) would be forced on every consumer. Node builtins ' +
        'are allowed.',
      from: { path: '^packages/contracts/src/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
        pathNot: '(^|/)node_modules/typebox/',
      },
    },
    {
      name: 'contracts-pure-local',
      severity: 'error',
      comment:
        'packages/contracts may only import from itself (plus node builtins and typebox, see ' +
        'contracts-pure-npm). services/, scripts/, web/, loadtest/, test/ and bench/ depend on it, ' +
        'never the other way round, so the contract stays the bottom layer, can ship to the ' +
        'browser, and cannot form cycles with its users. Allow-list: anything outside ' +
        'packages/contracts/src (other than node_modules and builtins) is an error.',
      from: { path: '^packages/contracts/src/' },
      to: {
        pathNot: ['^packages/contracts/src/', '(^|/)node_modules/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'service-kit-below-services',
      severity: 'error',
      comment:
        'packages/service-kit is the server plumbing the Fastify services share. It sits between ' +
        'contracts and the services: it may import itself, @queuescope/contracts, npm packages and ' +
        'node builtins, never a service, the web or the load test (that would make it a second ' +
        'copy of one service, or a cycle).',
      from: { path: '^packages/service-kit/src/' },
      to: {
        pathNot: ['^packages/service-kit/src/', '^packages/contracts/src/', '(^|/)node_modules/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'web-no-service-kit',
      severity: 'error',
      comment:
        'web/ runs in the browser; packages/service-kit is Node- and Fastify-only (close-with-grace, ' +
        'pino options, process signals). The dashboard shares only @queuescope/contracts. ' +
        '(`npm run boundaries` does not cruise web/ yet; `npx depcruise --config ' +
        '.dependency-cruiser.cjs web` checks it.)',
      from: { path: '^web/' },
      to: { path: ['^packages/service-kit/', '(^|/)node_modules/@queuescope/service-kit/'] },
    },
    {
      name: 'web-types-only-from-contracts',
      severity: 'error',
      comment:
        'The dashboard takes the REST and live shapes from @queuescope/contracts as types only ' +
        '(`import type`): values (schemas, config parsing, TypeBox) would be bundled into the page, ' +
        'and the numbers the page shows are computed on the server (STYLE R14). One exception: ' +
        '`@queuescope/contracts/live` (mergeFrames), the pure, dependency-free function that applies ' +
        'a live delta frame, shared so the collector and the page merge frames by one definition.',
      from: { path: '^web/' },
      to: {
        path: ['^packages/contracts/', '(^|/)node_modules/@queuescope/contracts/'],
        pathNot: '^packages/contracts/src/live\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'web-not-to-services',
      severity: 'error',
      comment: 'The dashboard talks to the collector over HTTP and WebSocket only; it never imports service or load-runner code.',
      from: { path: '^web/' },
      to: { path: ['^services/', '^loadtest/', '^scripts/'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import of our own code that cannot be resolved is a typo, a missing file or a missing ' +
        'dependency in package.json; it fails at run time (tsx does not type-check).',
      from: { pathNot: '(^|/)node_modules/' },
      // k6 scripts import k6's own modules and jslib URLs, which k6 resolves itself (typed by @types/k6).
      to: { couldNotResolve: true, pathNot: ['^https://jslib\\.k6\\.io/'] },
    },
  ],
  options: {
    // Record node_modules targets (needed by contracts-pure-npm) but do not cruise into them.
    doNotFollow: { path: ['(^|/)node_modules/'] },
    exclude: { path: ['^\\.data/', '^\\.cache/', '(^|/)dist/', '^coverage/', '^test-results/'] },
    // `import type` counts too: a type-only import across a boundary is still a coupling.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Follow node_modules/@queuescope/* symlinks to packages/ and services/ (see top of file).
    preserveSymlinks: false,
    // Merge package.json files up to the root. The root manifest holds `workspaces`, so an import
    // of @queuescope/contracts from a service is classified local/aliased-workspace (not
    // `undetermined`, and never `npm`). npm packages a workspace uses without declaring them
    // anywhere still show up as npm-no-pkg.
    combinedDependencies: true,
    enhancedResolveOptions: {
      // Resolve `exports` maps (`@queuescope/contracts` -> ./src/index.ts, `typebox/value`).
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};

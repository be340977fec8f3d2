// The floors of the tree (ARCHITECTURE.md, "Floors"): a part may import the
// parts on the floors below it, never one on a floor above, and no modules
// import each other in a circle (type-only imports count: they tie the
// parts together as much as any other). `npm run lint:deps` checks it, and
// `npm run lint` (so `npm test` and CI) runs that.
//
//   cli/, provider/      the entry points
//   serve/               Pulumi programs' and folders' functions behind an HTTP server
//   preview/             the offline `pulumi preview` of a program
//   components/          PythonFunction, PythonLayer
//   runner/              runs an archive the way Lambda does (and proves a slimmed one still imports)
//   builder/             the archive pipeline
//   target-python/       the target's CPython on this machine: Debian roots, qemu, bytecode
//   shared/, policies/   the ground floor: they import nothing of ours (the pack publishes alone)
const FLOORS = [["shared", "policies"], ["target-python"], ["builder"], ["runner"], ["components"], ["preview"], ["serve"], ["cli", "provider"]];

const folders = (parts) => `^(${parts.join("|")})/`;

const upward = FLOORS.slice(0, -1).map((floor, i) => {
    const above = FLOORS.slice(i + 1).flat();
    return {
        name: `no-upward-import-from-${floor.join("-")}`,
        comment: `${floor.join("/ and ")}/ sit below ${above.join("/, ")}/ (ARCHITECTURE.md, "Floors"): import downward only. Move what both need to a floor below both.`,
        severity: "error",
        from: { path: folders(floor) },
        to: { path: folders(above) },
    };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "no-circular",
            comment: "Modules that import each other (even for a type) cannot be read, tested or moved one at a time: put what both need in a module both import.",
            severity: "error",
            from: {},
            to: { circular: true },
        },
        {
            name: "ground-floor-stands-alone",
            comment: "shared/ and policies/ import nothing of ours besides themselves (policies/ is published on its own as the CrossGuard pack).",
            severity: "error",
            from: { path: "^(shared|policies)/" },
            to: { path: "^(shared|policies)/", pathNot: "^$1/" },
        },
        ...upward,
        {
            name: "builder-install-stays-inside",
            comment: "How the builder installs (installers, indexes, host probes) is its own business: a part above it that needs packages for a target calls builder/install-for-tools.ts, the one implementation of pip for a target.",
            severity: "error",
            from: { path: folders(FLOORS.slice(FLOORS.findIndex((f) => f.includes("builder")) + 1).flat()) },
            to: { path: "^builder/install/" },
        },
        {
            name: "no-import-of-tests-benchmarks-or-examples",
            comment: "The package's parts never import test/, bench/ or examples/ (they are not published).",
            severity: "error",
            from: { path: folders(FLOORS.flat()) },
            to: { path: "^(test|bench|examples)/" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        // dist/ is the compiled output (cli/start.js, npm start's launcher, loads the compiled CLI from it).
        exclude: { path: "^(dist|node_modules)/" },
        tsConfig: { fileName: "tsconfig.json" },
        tsPreCompilationDeps: true,
        reporterOptions: {
            archi: { collapsePattern: "^(node_modules/[^/]+|[^/]+)/" },
        },
    },
};

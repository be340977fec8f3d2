// The first module the CLI loads: a Node.js older than package.json's
// `engines` gets one sentence and exit 2 before any other module is parsed or
// run. The rule is shared/node-version.ts (which throws at import, as the
// components get it); here the throw becomes the CLI's error line. Loaded
// before every other import of main.ts, so it must parse and run on old Node
// versions: plain CommonJS once compiled, no syntax or API newer than Node 12.
try {
    require("../shared/node-version");
} catch (e) {
    if (!(e instanceof Error) || e.name !== "NodeVersionError") throw e;
    process.stderr.write(`lambda-python: error: ${e.message}\n`);
    process.exit(2);
}

#!/usr/bin/env node
// `npm start`: check Node.js, compile when a source changed (build-if-changed.js), then
// `lambda-python setup --progress-only` and `lambda-python preview . --invoke`, in this
// one process. As npm's prestart they were three Node processes, each paying
// Node's start-up and the CLI's module loading again (~0.2 s of a warm start
// that should take under 3 s). setup is silent when everything is installed and
// shows each download (size, time) on a first run, which takes minutes.
//
// Plain JavaScript on purpose: it runs before anything is compiled (a fresh clone).

const fs = require("fs");
const path = require("path");

// First, the CLI's Node.js check (shared/node-version.ts, compiled): one sentence and exit 2 on a Node.js
// older than package.json's engines, before anything is compiled or run. Only a fresh clone, with nothing
// compiled yet, compiles first; dist/cli/main.js then checks before anything else.
const nodeCheck = path.join(__dirname, "..", "dist", "cli", "node-version.js");
if (fs.existsSync(nodeCheck)) require(nodeCheck);

const { buildIfChanged } = require("./build-if-changed");

// examples/python-program, beside the showcase: a Python program previewed on the Pulumi Python SDK, with the
// SDK `pulumi package add` generates for this package (committed in its sdks/lambda-python, which its
// requirements.txt installs; test/sdks.test.ts checks it is the generator's output).
const pythonExample = path.join(__dirname, "..", "examples", "python-program");
const pythonSdk = path.join(pythonExample, "sdks", "lambda-python");

const built = buildIfChanged();
if (built !== 0) {
    process.exitCode = built;
} else {
    const { runCommand, exitWhenDone } = require("../dist/cli/main.js");
    runCommand(["setup", "--progress-only"])
        .then((code) => (code === 0 ? runCommand(["preview", ".", "--invoke"]).then(previewPython) : code))
        .then(exitWhenDone);
}

/** The Python example after the showcase (whose exit status `showcase` is): the worse of the two. */
function previewPython(showcase) {
    const { runCommand } = require("../dist/cli/main.js");
    if (fs.existsSync(pythonSdk)) return runCommand(["preview", pythonExample, "--invoke"]).then((python) => showcase || python);
    process.stderr.write(`lambda-python: ${path.relative(process.cwd(), pythonExample)} (a Python program) is previewed here too once its SDK is generated into ${path.relative(process.cwd(), pythonSdk)} (pulumi package add ../..).\n`);
    return showcase;
}

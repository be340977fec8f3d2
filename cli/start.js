#!/usr/bin/env node
// `npm start`: check Node.js, compile when a source changed (preview/build-if-changed.js), then
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

const { buildIfChanged } = require("../preview/build-if-changed");

// examples/python-program, beside the showcase: a Python program previewed on the Pulumi Python SDK, with the
// SDK `pulumi package add` generates for this package (committed in its sdks/lambda-python, which its
// requirements.txt installs; test/sdks.test.ts checks it is the generator's output).
const pythonExample = path.join(__dirname, "..", "examples", "python-program");

const built = buildIfChanged();
if (built !== 0) {
    process.exitCode = built;
} else {
    const { runCommand, exitWhenDone } = require("../dist/cli/main.js");
    runCommand(["setup", "--progress-only"])
        .then((code) => {
            if (code !== 0) return code;
            // The Python example runs beside the showcase, in a process of its own whose output is held and
            // printed after the showcase's: most of each is waiting on other processes (the program, the
            // plugin, the emulator), so on two cores the two overlap (measured in docs/BENCHMARKS.md).
            const python = startPythonExample();
            return runCommand(["preview", ".", "--invoke"]).then((showcase) => python.then(printed).then((status) => showcase || status));
        })
        .then(exitWhenDone);
}

/**
 * `lambda-python preview examples/python-program --invoke` in a child, started as the CLI starts its tools
 * (shared/process.ts: stopped with this process on Ctrl-C or a kill): its output, held.
 */
function startPythonExample() {
    const { run } = require("../dist/shared/process.js");
    return run(process.execPath, [path.join(__dirname, "..", "dist", "cli", "main.js"), "preview", pythonExample, "--invoke"]).catch((e) => ({
        code: 1,
        stdout: "",
        stderr: `lambda-python: could not run the Python example ${pythonExample}: ${e.message}\n`,
    }));
}

/** Prints the example's held output after the showcase's; its exit status. */
function printed({ code, stdout, stderr }) {
    process.stdout.write("\n");
    process.stderr.write(stderr);
    process.stdout.write(stdout);
    return code;
}

#!/usr/bin/env node
// `npm start`: compile when a source changed (build-if-changed.js), then
// `lambda-python setup --quiet` and `lambda-python preview . --invoke`, in this
// one process. As npm's prestart they were three Node processes, each paying
// Node's start-up and the CLI's module loading again (~0.2 s of a warm start
// that should take under 3 s).
//
// Plain JavaScript on purpose: it runs before anything is compiled (a fresh clone).

const { buildIfChanged } = require("./build-if-changed");

const built = buildIfChanged();
if (built !== 0) {
    process.exitCode = built;
} else {
    const { runCommand, exitWhenDone } = require("../dist/cli/main.js");
    runCommand(["setup", "--quiet"])
        .then((code) => (code === 0 ? runCommand(["preview", ".", "--invoke"]) : code))
        .then(exitWhenDone);
}

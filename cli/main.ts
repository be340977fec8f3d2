#!/usr/bin/env node
// lambda-python: build, inspect and run Python Lambda archives without the cloud.
// First, before any other module is loaded: a Node.js too old for the CLI is told so in one sentence.
import "./node-version";
import * as os from "os";
import { removePendingTemps } from "../shared/atomic";
import { stopChildren } from "../shared/process";
import { isUserError } from "../shared/errors";
import { redactCredentials } from "../shared/redact";
import { buildUsage, eventUsage, inspectUsage, invokeUsage, previewUsage, serveUsage, setupUsage } from "./usage";

// V8's compiled code for our modules and the SDKs, kept on disk between runs (Node 22.1+; NODE_COMPILE_CACHE
// and NODE_DISABLE_COMPILE_CACHE as documented): a warm no-change build is mostly module loading.
require("node:module").enableCompileCache?.();

// Commands are loaded when used: `inspect` should not pay for the Pulumi SDK that `preview` needs.
const commands: Record<string, () => (argv: string[]) => Promise<number>> = {
    build: () => require("./build").buildCommand,
    inspect: () => require("./inspect").inspectCommand,
    invoke: () => require("./invoke").invokeCommand,
    preview: () => {
        require("../preview/deferred-modules").deferArborist(__dirname);
        return require("./preview").previewCommand;
    },
    setup: () => require("./setup").setupCommand,
    serve: () => require("./serve").serveCommand,
    event: () => require("./event").eventCommand,
};

const usage = `Usage:
  ${buildUsage}
  ${inspectUsage}
  ${invokeUsage}
  ${previewUsage}
  ${serveUsage}
  ${setupUsage}
  ${eventUsage}

Run "lambda-python <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (!command || command === "--help" || command === "-h" || command === "help") {
        console.log(usage);
        return command ? 0 : 2;
    }
    const load = commands[command];
    if (!load) {
        process.stderr.write(`lambda-python: unknown command "${command}".\n\n${usage}\n`);
        return 2;
    }
    return load()(rest);
}

// Interrupted: stop pip/uv and what they started, then remove temporary files and folders (ours
// and the children's TMPDIRs), so a killed build leaves nothing behind. A second signal is not
// needed and is ignored while this runs (it takes at most a few seconds).
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
        // A command that listens for the signal itself (serve) stops what it started before exiting.
        if (process.listenerCount(signal) > 1) return;
        if (stopping) return;
        stopping = true;
        stopChildren().finally(() => {
            removePendingTemps();
            process.exit(128 + os.constants.signals[signal]);
        });
    });
}

/** One command run as the CLI runs it: its exit code, a UserError as one paragraph (2), anything else an internal error (70). */
export async function runCommand(argv: string[]): Promise<number> {
    try {
        return await main(argv);
    } catch (e) {
        removePendingTemps();
        if (isUserError(e)) {
            process.stderr.write(`lambda-python: error: ${e.message}\n`);
            return 2;
        }
        process.stderr.write(`lambda-python: internal error (please report it): ${redactCredentials(String(e instanceof Error ? (e.stack ?? e) : e))}\n`);
        return 70;
    }
}

/** Ends the process once the commands are done: a timer or socket a previewed program left open must not keep the CLI running (pulumi preview ends too). Unref'd, so a CLI with nothing left exits at once. */
export function exitWhenDone(code: number): void {
    process.exitCode = code;
    setTimeout(() => process.exit(), 1000).unref();
}

// Run as the lambda-python command; cli/start.js (npm start) loads it to run two commands in one process.
if (require.main === module) runCommand(process.argv.slice(2)).then(exitWhenDone);

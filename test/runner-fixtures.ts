// Archives for the runner's tests that are built, not stored: they need this
// machine's compiler.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { craftZip } from "./zip-crafter";

/**
 * A function zip whose handler loads a library built here with gcc against
 * glibc 2.36: pthread_create is GLIBC_2.34, newer than Amazon Linux 2's 2.26
 * (python3.8-3.11) and within AL2023's 2.34 (python3.12+). The handler
 * returns {"started": 0}.
 */
export function glibc234Function(dir: string): string {
    const c = path.join(dir, "threads.c");
    fs.writeFileSync(c, "#include <pthread.h>\nstatic void *run(void *a) { return a; }\nint start(void) { pthread_t t; return pthread_create(&t, 0, run, 0); }\n");
    const so = path.join(dir, "libthreads.so");
    const gcc = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", so, c], { encoding: "utf8" });
    assert.equal(gcc.status, 0, gcc.stderr);
    const zip = path.join(dir, "glibc234.zip");
    fs.writeFileSync(
        zip,
        craftZip([
            { name: "lambda_function.py", data: Buffer.from("import ctypes\nlib = ctypes.CDLL('/var/task/libthreads.so')\n\ndef lambda_handler(event, context):\n    return {'started': lib.start()}\n") },
            { name: "libthreads.so", data: fs.readFileSync(so), mode: 0o100755 },
        ]),
    );
    return zip;
}

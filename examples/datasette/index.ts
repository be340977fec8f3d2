// Datasette served through Mangum (seed 004): a native dependency
// (pysqlite3-binary, x86_64 only) and a small SQLite database generated at
// build time and shipped in the zip, with 256 MB of memory. python3.13 (the
// seed used 3.12): pysqlite3 and markupsafe are extension modules, so the
// archive only runs on the CPython it was built for, and 3.13 is one that
// lambda-python invoke/serve can run here (no Debian release ships 3.12).
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { PythonFunction } from "pulumi-lambda-python";

const app = path.join(__dirname, "app");
// The database is part of the build: regenerated (identically) on every run,
// while the rest of the program runs; the function is built once it is there
// (`source` takes a promise, like any Pulumi input).
const source = promisify(execFile)("python3", [path.join(__dirname, "make_db.py"), path.join(app, "fixtures.db")]).then(() => app);

const datasette = new PythonFunction("datasette", {
    source,
    handler: "lambda_function.lambda_handler",
    runtime: "python3.13",
    architecture: "x86_64",
    memorySize: 256,
    timeout: 30,
    url: { authType: "NONE" },
});

export const url = datasette.url;
export const archive = datasette.archive;

// An archive the user names on the command line, as a file the zip reader
// can seek in. `lambda-python inspect <(curl -sL …/function.zip)` and
// `--layer /dev/stdin` hand us a pipe (a socket, when the caller is a Node.js
// program), which stat calls 0 bytes long and which cannot be read twice: it
// is copied to a temporary file, removed when the process exits. A device is
// refused in one sentence rather than judged "damaged" (/dev/null), read
// forever (/dev/zero) or waited on (a terminal's /dev/stdin).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removeQuietly, trackTemp } from "../builder/atomic";
import { describeFsError, describeKind, describeWriteError, UserError } from "../shared/errors";

/** `file` itself when it is a file or folder; a pipe's or socket's bytes in a temporary file. */
export function seekableArchive(file: string, what: string): string {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch (e) {
        throw describeFsError(e, file, what);
    }
    if (st.isFile() || st.isDirectory()) return file;
    if (!st.isFIFO() && !st.isSocket()) throw new UserError(`${what} ${file} is ${describeKind(st)}, not a .zip archive; give the archive's file.`);
    const dir = trackTemp(fs.mkdtempSync(path.join(os.tmpdir(), "lambda-python-pipe-")));
    process.once("exit", () => removeQuietly(dir));
    const copy = path.join(dir, `${path.basename(file)}.zip`);
    let input: number | undefined;
    let output: number | undefined;
    try {
        // A socket cannot be opened by its name (/dev/stdin when a Node.js program gave us stdin): read our own.
        input = isStdin(st) ? 0 : fs.openSync(file, "r");
        output = fs.openSync(copy, "w");
        const buffer = Buffer.allocUnsafe(1 << 20);
        for (let n; (n = fs.readSync(input, buffer, 0, buffer.length, null)) > 0; ) fs.writeSync(output, buffer, 0, n);
    } catch (e) {
        removeQuietly(dir);
        throw describeWriteError(e, `the temporary folder ${os.tmpdir()} (set TMPDIR to another)`) ?? describeFsError(e, file, what);
    } finally {
        if (input !== undefined && input !== 0) fs.closeSync(input);
        if (output !== undefined) fs.closeSync(output);
    }
    return copy;
}

function isStdin(st: fs.Stats): boolean {
    try {
        const stdin = fs.fstatSync(0);
        return stdin.dev === st.dev && stdin.ino === st.ino;
    } catch {
        return false;
    }
}

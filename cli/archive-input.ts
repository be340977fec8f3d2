// An archive the user names on the command line, as a file the zip reader
// can seek in. `lambda-python inspect <(curl -sL …/function.zip)` and
// `--layer /dev/stdin` hand us a pipe (a socket, when the caller is a Node.js
// program), which stat calls 0 bytes long and which cannot be read twice: it
// is copied to a temporary file, removed when the process exits, and refused
// once it is larger than any archive Lambda accepts (an endless pipe is not
// copied until the disk is full). A device is refused in one sentence rather
// than judged "damaged" (/dev/null), read forever (/dev/zero) or waited on
// (a terminal's /dev/stdin).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { removeQuietly, trackTemp } from "../shared/atomic";
import { describeFsError, describeKind, describeWriteError, UserError } from "../shared/errors";
import { withCommas } from "../policies/rules/format";
import limits from "../policies/data/lambda-limits.json";
import { copyInput } from "../shared/user-input";

/**
 * The most a piped archive may hold: Lambda unpacks at most 250 MB (function
 * and layers together), and a zip is its content plus headers, so 64 MiB of
 * headroom covers even an archive of stored (uncompressed) entries.
 */
export const MAX_PIPED_ARCHIVE_BYTES = limits.unzippedBytes + 64 * 1024 * 1024;

/** `file` itself when it is a file or folder; a pipe's or socket's bytes in a temporary file. */
export async function seekableArchive(file: string, what: string): Promise<string> {
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
    try {
        await copyInput(file, what, copy, {
            bytes: MAX_PIPED_ARCHIVE_BYTES,
            refuse: () =>
                new UserError(
                    `${what} ${file} goes on past ${withCommas(MAX_PIPED_ARCHIVE_BYTES)} bytes, more than any archive Lambda accepts (it unpacks at most ${withCommas(limits.unzippedBytes)} bytes). Give the archive's file, or check what the pipe sends.`,
                ),
        });
    } catch (e) {
        removeQuietly(dir);
        if (e instanceof UserError) throw e;
        throw describeWriteError(e, `the temporary folder ${os.tmpdir()} (set TMPDIR to another)`) ?? describeFsError(e, file, what);
    }
    return copy;
}

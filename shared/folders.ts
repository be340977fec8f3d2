// Making folders with the real reason when that fails. Node's recursive
// mkdirSync reports a folder it cannot create on a read-only file system (or
// without permission) as ENOENT, "no such file or directory", which would
// blame a path that is simply not made yet; the cause is found here by
// making the first missing folder alone.
import * as fs from "fs";
import * as path from "path";

/** mkdir -p, throwing the error of the first folder that cannot be made (EROFS, EACCES, ENOSPC …). */
export function makeFolders(dir: string): void {
    try {
        fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        let missing = path.resolve(dir);
        while (!fs.existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
        fs.mkdirSync(missing); // throws the true cause
        fs.mkdirSync(dir, { recursive: true });
    }
}

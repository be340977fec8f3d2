// Reading what the user hands over on the command line — a file, a pipe
// (a shell's <(…), /dev/stdin) or stdin itself — within a limit, and without
// blocking: an event from `yes |` or /dev/zero must be refused once it is
// over the limit, not read until memory runs out, and Ctrl-C or SIGTERM must
// be answered while a terminal or a silent pipe keeps us waiting. A regular
// file's size is known before anything is read, so a file over the limit is
// refused at once. A FIFO is opened non-blocking (a FIFO nobody writes to
// would block the open itself) and read like a socket, on the event loop.
import * as fs from "fs";
import * as net from "net";
import { Readable } from "stream";
import { describeFsError, UserError } from "./errors";

export interface InputLimit {
    /** Bytes the input may hold; one more is refused. */
    bytes: number;
    /** The sentence for an input over the limit: its size when known (a regular file), else undefined. */
    refuse: (size: number | undefined) => UserError;
}

/** `file` is the process's own stdin (/dev/stdin, /proc/self/fd/0), which may be a socket that cannot be opened by name. */
function isStdin(st: fs.Stats): boolean {
    try {
        const stdin = fs.fstatSync(0);
        return stdin.dev === st.dev && stdin.ino === st.ino;
    } catch {
        return false;
    }
}

/** A readable stream of `file` ("-": stdin), refusing folders and devices in one sentence, and a file over the limit unread. */
async function open(file: string, what: string, limit: InputLimit): Promise<Readable> {
    if (file === "-") return process.stdin;
    let st: fs.Stats;
    try {
        st = await fs.promises.stat(file);
    } catch (e) {
        throw describeFsError(e, file, what);
    }
    if (st.isDirectory()) throw new UserError(`${what} ${file} is a folder; give a file.`);
    if (st.isFile()) {
        if (st.size > limit.bytes) throw limit.refuse(st.size);
        return fs.createReadStream(file);
    }
    if (!st.isFIFO() && !st.isSocket()) throw new UserError(`${what} ${file} is a device, not a file: it would be read without end (or wait forever). Give a file, a pipe or - for stdin.`);
    if (isStdin(st)) return process.stdin;
    let fd: number;
    try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
        throw describeFsError(e, file, what);
    }
    return new net.Socket({ fd, readable: true, writable: false });
}

/** Calls `each` with the input's chunks until its end; throws the limit's sentence once more than `limit.bytes` came. */
async function consume(file: string, what: string, limit: InputLimit, each: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    const stream = await open(file, what, limit);
    let total = 0;
    let inEach = false;
    try {
        for await (const chunk of stream as AsyncIterable<Buffer | string>) {
            const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
            total += bytes.length;
            if (total > limit.bytes) throw limit.refuse(undefined);
            inEach = true;
            await each(bytes);
            inEach = false;
        }
    } catch (e) {
        // The caller's own failures (a full disk while copying) are the caller's to describe.
        if (e instanceof UserError || inEach) throw e;
        throw describeFsError(e, file === "-" ? "stdin" : file, what);
    } finally {
        // stdin stays ours to close at exit; a pipe we opened is closed now, whatever is left in it.
        if (stream !== process.stdin) stream.destroy();
        else stream.pause();
    }
}

/** The whole input, at most `limit.bytes` long. */
export async function readInput(file: string, what: string, limit: InputLimit): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await consume(file, what, limit, (c) => {
        chunks.push(c);
    });
    return Buffer.concat(chunks);
}

/** Copies the input into `dest` (a new file), at most `limit.bytes`. */
export async function copyInput(file: string, what: string, dest: string, limit: InputLimit): Promise<void> {
    const out = await fs.promises.open(dest, "w");
    try {
        await consume(file, what, limit, async (c) => {
            await out.write(c);
        });
    } finally {
        await out.close();
    }
}

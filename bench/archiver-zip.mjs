// Zips a folder with archiver 8 (ESM-only) at a given level and prints the
// milliseconds it took. Used by bench/archive.ts as a reference point.
//   node archiver-zip.mjs <folder> <name-in-zip> <out.zip> <level>
import { createWriteStream } from "node:fs";
import { ZipArchive } from "archiver";

const [folder, prefix, out, level] = process.argv.slice(2);
const start = process.hrtime.bigint();
const archive = new ZipArchive({ zlib: { level: Number(level) } });
const done = new Promise((resolve, reject) => {
    const stream = createWriteStream(out);
    stream.on("close", resolve);
    archive.on("error", reject);
    archive.pipe(stream);
});
archive.directory(folder, prefix);
await archive.finalize();
await done;
console.log(Number(process.hrtime.bigint() - start) / 1e6);

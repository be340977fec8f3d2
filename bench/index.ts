// npm run bench [-- archive|small-files|policies|memory|growth|invoke|build-cold|start|rebuild-locks|bytecode|init-profile|remote-cache|slim|stack|stack-python]: runs the benchmarks and records them in docs/BENCHMARKS.md.
import { benchArchive, benchSmallFilesOnly } from "./archive";
import { benchBuildCold } from "./build-cold";
import { benchBytecode } from "./bytecode";
import { benchGrowth } from "./growth";
import { benchInitProfile } from "./init-profile";
import { benchInvoke } from "./invoke";
import { benchMemory } from "./memory";
import { benchPolicies } from "./policies";
import { benchRebuildLocks } from "./rebuild-locks";
import { benchRemoteCache } from "./remote-cache";
import { benchSlim } from "./slim";
import { benchStack } from "./stack";
import { benchStackPython } from "./stack-python";
import { benchStart } from "./start";

const benches: Record<string, () => Promise<string>> = {
    archive: benchArchive,
    "small-files": benchSmallFilesOnly,
    policies: benchPolicies,
    memory: benchMemory,
    growth: benchGrowth,
    invoke: benchInvoke,
    "build-cold": benchBuildCold,
    start: benchStart,
    "rebuild-locks": benchRebuildLocks,
    bytecode: benchBytecode,
    "init-profile": benchInitProfile,
    "remote-cache": benchRemoteCache,
    slim: benchSlim,
    stack: benchStack,
    "stack-python": benchStackPython,
};

(async () => {
    const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
    for (const name of wanted.length ? wanted : Object.keys(benches)) {
        const bench = benches[name];
        if (!bench) throw new Error(`unknown benchmark ${name}; have ${Object.keys(benches).join(", ")}`);
        console.log(`\n== ${name}\n${await bench()}`);
    }
})().catch((e) => {
    console.error(e);
    process.exit(1);
});

// Which wheel of a release a Lambda target installs: the one rule both
// routes use, the lock readers choosing from the files a lock names
// (locks/locked.ts) and the uv route choosing pip's file from uv's resolution
// (installers.ts).
//
// It is pip's rule, not one of ours: the tags the target supports in the
// order packaging's sys_tags gives them for a CPython (cpython_tags, then
// compatible_tags) on the same --python-version, --abi and --platform ladder
// the installers give pip, and a wheel ranks at its best tag; lower is
// better, a wheel without a supported tag is not installable. Before, the lock
// readers ranked with an ordering of their own, which disagreed with pip on
// CPython's tag without an ABI against an older abi3 (cp311-none against
// cp310-abi3), on py3 against py311 for any platform, and took cp311m;
// test/unit/wheel-rank.test.ts checks the two against pip's own code over
// releases on PyPI.
import { LambdaTarget, manylinuxPlatformTags } from "../../policies/target";
import { expandTag } from "../../policies/inspect/wheel-tags";

const ladders = new Map<string, Map<string, number>>();

/** Every tag the target supports, in pip's order of preference (pip's compatibility_tags.get_supported, packaging's sys_tags). */
function supportedTags(target: LambdaTarget): string[] {
    const [major, minor] = target.python;
    const cp = `cp${major}${minor}`;
    const platforms = manylinuxPlatformTags(target);
    const tags: string[] = [];
    const each = (interpreter: string, abi: string) => {
        for (const p of platforms) tags.push(`${interpreter}-${abi}-${p}`);
    };
    // cpython_tags: this CPython's ABI, its abi3, no ABI, then the abi3 of every older 3.x down to 3.2.
    each(cp, cp);
    each(cp, "abi3");
    each(cp, "none");
    for (let m = minor - 1; m >= 2; m--) each(`cp${major}${m}`, "abi3");
    // compatible_tags: py3X, py3, then py3(X-1) … py30 for each platform; this CPython for any; the same py list for any.
    const pythons = [`py${major}${minor}`, `py${major}`, ...Array.from({ length: minor }, (_, i) => `py${major}${minor - 1 - i}`)];
    for (const py of pythons) each(py, "none");
    tags.push(`${cp}-none-any`);
    for (const py of pythons) tags.push(`${py}-none-any`);
    return tags;
}

function ladder(target: LambdaTarget): Map<string, number> {
    const key = `${target.runtime} ${target.architecture}`;
    let l = ladders.get(key);
    if (!l) {
        l = new Map(supportedTags(target).map((t, i) => [t, i]));
        ladders.set(key, l);
    }
    return l;
}

/** A wheel file's tags (`name-ver[-build]-py-abi-plat.whl`, compressed sets expanded), or undefined for another file. */
function wheelTags(file: string): string[] | undefined {
    const base = decodeURIComponent(file.split("/").pop() ?? file);
    if (!base.toLowerCase().endsWith(".whl")) return undefined;
    const parts = base.slice(0, -4).split("-");
    if (parts.length < 5) return undefined;
    return expandTag(parts.slice(-3).join("-")).map((t) => `${t.interpreter}-${t.abi}-${t.platform}`);
}

/** How well a wheel suits the target, lower is better (its best tag's place in pip's order); undefined when it cannot be installed there. */
export function wheelRank(file: string, target: LambdaTarget): number | undefined {
    const l = ladder(target);
    let best: number | undefined;
    for (const tag of wheelTags(file) ?? []) {
        const rank = l.get(tag);
        if (rank !== undefined && (best === undefined || rank < best)) best = rank;
    }
    return best;
}

/** The wheel among `files` the target installs (of two at the same rank, the first), or undefined when none can be. */
export function bestWheel<F extends { name: string }>(files: F[], target: LambdaTarget): F | undefined {
    let best: { file: F; rank: number } | undefined;
    for (const f of files) {
        const rank = wheelRank(f.name, target);
        if (rank !== undefined && (!best || rank < best.rank)) best = { file: f, rank };
    }
    return best?.file;
}

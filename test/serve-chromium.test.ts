// A real browser against `lambda-python serve`: Debian's chromium, headless,
// opens the Datasette example served from its built zip, and the page must
// show the shipped database's tables. The screenshot it takes is kept in
// docs/ (the README shows it; UPDATE_SCREENSHOTS=1 refreshes it).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { cli, ROOT, SHARED_CACHE, tmpDir } from "./helpers";
import { serve, Served } from "./serve-helpers";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = path.join(ROOT, "docs", "serve-datasette.png");

/** Chromium from Debian, installed here when missing and we are root; otherwise the reason it cannot run. */
function ensureChromium(): string | undefined {
    if (fs.existsSync(CHROMIUM)) return undefined;
    if (process.platform !== "linux" || process.getuid?.() !== 0 || !fs.existsSync("/usr/bin/apt-get")) {
        return `${CHROMIUM} is missing and this is not a root Debian/Ubuntu machine to install it on (apt-get install chromium)`;
    }
    spawnSync("apt-get", ["update"], { stdio: "ignore" });
    const r = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", "chromium"], { encoding: "utf8" });
    return r.status === 0 && fs.existsSync(CHROMIUM) ? undefined : `apt-get install chromium failed: ${r.stderr.trim().split("\n").pop()}`;
}

function chromium(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${tmpDir("chromium-profile-")}`];
    const r = spawnSync(CHROMIUM, [...flags, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("lambda-python serve in a headless browser (Debian chromium)", () => {
    let served: Served | undefined;
    after(async () => {
        await served?.stop();
    });

    before(function () {
        const missing = ensureChromium();
        if (missing) {
            console.log(`      skipped: ${missing}`);
            this.skip();
        }
    });

    it("opens Datasette served from its built zip and shows the shipped database's tables", async () => {
        const app = path.join(ROOT, "examples", "datasette", "app");
        const made = spawnSync("python3", [path.join(ROOT, "examples", "datasette", "make_db.py"), path.join(app, "fixtures.db")], { encoding: "utf8" });
        assert.equal(made.status, 0, made.stderr);
        const zip = path.join(tmpDir(), "datasette.zip");
        const built = cli(["build", app, "--runtime", "python3.13", "--arch", "x86_64", "--out", zip, "--quiet"], { env: { ...process.env, LAMBDA_PYTHON_CACHE_DIR: SHARED_CACHE } });
        assert.equal(built.code, 0, built.stderr);

        served = await serve([zip, "--runtime", "python3.13", "--memory", "256", "--timeout", "30"], 1);
        const url = new URL("/fixtures", Object.values(served.urls)[0]).toString();

        const dom = chromium(["--dump-dom", url]);
        assert.equal(dom.code, 0, dom.stderr);
        assert.match(dom.stdout, /<title>fixtures<\/title>/);
        for (const table of ["examples", "runtimes"]) assert.match(dom.stdout, new RegExp(`href="/fixtures/${table}"`), `the page links table ${table}`);
        assert.match(dom.stdout, /3 rows/, "the runtimes table's row count");
        assert.match(dom.stdout, /5 rows/, "the examples table's row count");

        const shot = path.join(tmpDir(), "shot.png");
        const taken = chromium(["--hide-scrollbars", "--window-size=1100,640", `--screenshot=${shot}`, url]);
        assert.equal(taken.code, 0, taken.stderr);
        const png = fs.readFileSync(shot);
        assert.equal(png.subarray(1, 4).toString(), "PNG");
        assert.equal(png.readUInt32BE(16), 1100, "the screenshot is as wide as the window");
        // The README's picture: refreshed on request, so a test run leaves the tree clean (the page shows query times).
        if (!fs.existsSync(SCREENSHOT) || process.env.UPDATE_SCREENSHOTS === "1") fs.copyFileSync(shot, SCREENSHOT);
    });
});

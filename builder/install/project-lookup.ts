// Asks the user's package indexes about one project, for the diagnosis of a
// failed install: does the project exist there, which wheels does its newest
// release have, and which source distribution would be built for the
// requirement — downloaded, and looked into for native code *before*
// anything is compiled (pandas' sdist compiles for minutes only to produce a
// wheel for this machine).
//
// It runs in the host Python so that versions and specifiers are PEP 440's,
// through pip's vendored `packaging`, and reads the PEP 503 simple API that
// every index serves (PyPI, Artifactory, devpi, a folder behind
// `python3 -m http.server`). Only the indexes and find-links given are asked.
import { LambdaTarget } from "../../policies/target";
import { run } from "../../shared/process";
import { indexUrls, PackageIndexes } from "./indexes";

export interface ProjectLookup {
    /** The project has files on at least one index or find-links location. */
    found: boolean;
    /** Newest version with any file, and its wheels' file names. */
    latest?: string;
    /** Whether any version on the indexes (wheel or sdist, any platform) satisfies the requirement's specifier. */
    matching?: boolean;
    /** The newest versions found, oldest first (at most 8). */
    versions?: string[];
    latestWheels: string[];
    /** The sdist that matches the requirement (downloaded), and signs of native code in it. */
    sdist?: { file: string; version: string; native: string[] };
    /** Locations that could not be read (not "no such project"). */
    errors: string[];
}

const LOOKUP = String.raw`
import base64, hashlib, html.parser, json, os, re, ssl, sys, tarfile, urllib.error, urllib.parse, urllib.request, zipfile
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from pip._vendor.packaging.version import Version

cfg = json.loads(sys.argv[1])
req = Requirement(cfg["requirement"])
name = canonicalize_name(req.name)
target = Version(cfg["python"])
auth, errors, files = {}, [], []

class Anchors(html.parser.HTMLParser):
    def __init__(self, base):
        super().__init__()
        self.base, self.links = base, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append((urllib.parse.urljoin(self.base, a["href"]), a.get("data-requires-python")))

def request(url):
    p = urllib.parse.urlsplit(url)
    host = p.hostname or ""
    if p.username is not None:
        auth[host] = "Basic " + base64.b64encode(("%s:%s" % (urllib.parse.unquote(p.username), urllib.parse.unquote(p.password or ""))).encode()).decode()
        url = urllib.parse.urlunsplit((p.scheme, host + (":%d" % p.port if p.port else ""), p.path, p.query, ""))
    headers = {"User-Agent": "lambda-python", "Accept": "text/html"}
    if host in auth:
        headers["Authorization"] = auth[host]
    context = None
    if p.scheme == "https" and host in cfg["trusted"]:
        context = ssl._create_unverified_context()
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60, context=context)

def page(url, where):
    try:
        with request(url) as r:
            parser = Anchors(r.geturl())
            parser.feed(r.read().decode("utf-8", "replace"))
            return parser.links
    except urllib.error.HTTPError as e:
        if e.code != 404:
            errors.append("%s: HTTP %d %s" % (where, e.code, e.reason))
    except Exception as e:
        errors.append("%s: %s" % (where, getattr(e, "reason", e)))
    return []

for index in cfg["indexes"]:
    files += page(index.rstrip("/") + "/" + name + "/", index)
for link in cfg["findLinks"]:
    if os.path.isdir(link):
        files += [("file://" + os.path.join(os.path.abspath(link), f), None) for f in sorted(os.listdir(link))]
    elif "://" not in link:
        continue  # a missing local folder: pip ignores it too
    else:
        files += page(link, link)

def python_ok(requires):
    try:
        return not requires or target in SpecifierSet(requires)
    except Exception:
        return True

versions, sdists = {}, []
for url, requires in files:
    base = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        if base.endswith(".whl"):
            project, version, _, _ = parse_wheel_filename(base)
        elif base.endswith((".tar.gz", ".zip")):
            project, version = parse_sdist_filename(base)
        else:
            continue
    except Exception:
        continue
    if canonicalize_name(project) != name:
        continue
    versions.setdefault(version, []).append(base)
    if not base.endswith(".whl") and python_ok(requires):
        sdists.append((version, base, url))

out = {"found": bool(versions), "latestWheels": [], "errors": errors}
if versions:
    finals = [v for v in versions if not v.is_prerelease] or list(versions)
    latest = max(finals)
    out["latest"] = str(latest)
    out["latestWheels"] = sorted(f for f in versions[latest] if f.endswith(".whl"))
    out["matching"] = bool(list(req.specifier.filter(list(versions), prereleases=True if cfg["pre"] else None)))
    out["versions"] = [str(v) for v in sorted(versions)][-8:]

allowed = set(req.specifier.filter([v for v, _, _ in sdists], prereleases=True if cfg["pre"] else None))
candidates = sorted((s for s in sdists if s[0] in allowed), key=lambda s: s[0])

NATIVE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".rs", ".f", ".f90", ".cu", ".go", ".m", ".mm")
NATIVE_FILES = ("Cargo.toml", "meson.build", "CMakeLists.txt")
NATIVE_BACKENDS = ("mesonpy", "maturin", "scikit_build_core", "enscons", "pymsbuild", "py_build_cmake")
ASIDE = re.compile(r"(^|/)(tests?|testing|docs?|examples?|benchmarks?|bench)/", re.I)

def native_signs(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            read = lambda n: z.read(n)
    else:
        t = tarfile.open(path)
        names = [m.name for m in t.getmembers() if m.isfile()]
        read = lambda n: t.extractfile(n).read()
    signs = []
    for n in names:
        inner = n.split("/", 1)[1] if "/" in n else n
        if ASIDE.search(inner):
            continue
        base = inner.rsplit("/", 1)[-1]
        if base.endswith(NATIVE_SUFFIXES) or base in NATIVE_FILES:
            signs.append(inner)
        elif inner == "pyproject.toml":
            m = re.search(r'build-backend\s*=\s*["\']([A-Za-z0-9_.]+)', read(n).decode("utf-8", "replace"))
            if m and m.group(1).split(".")[0] in NATIVE_BACKENDS:
                signs.insert(0, "build backend " + m.group(1))
    return signs[:3]

if candidates:
    version, base, url = candidates[-1]
    dest = os.path.join(cfg["dest"], base)
    try:
        p = urllib.parse.urlsplit(url)
        if p.scheme == "file":
            data = open(urllib.parse.unquote(p.path), "rb").read()
        else:
            with request(url) as r:
                data = r.read()
        expected = urllib.parse.parse_qs(p.fragment).get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected[0]:
            raise Exception("sha256 does not match the index")
        os.makedirs(cfg["dest"], exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
        out["sdist"] = {"file": dest, "version": str(version), "native": native_signs(dest)}
    except Exception as e:
        errors.append("%s: %s" % (base, getattr(e, "reason", e)))
print(json.dumps(out))
`;

/** Looks up `requirement` on exactly the given indexes; downloads its sdist into `dest`. */
export async function lookUpProject(python: string, requirement: string, indexes: PackageIndexes, target: LambdaTarget, dest: string, pre: boolean): Promise<ProjectLookup> {
    const cfg = {
        requirement,
        indexes: indexUrls(indexes),
        findLinks: indexes.findLinks,
        trusted: indexes.trustedHosts.map((h) => h.replace(/:\d+$/, "")),
        python: target.python.join("."),
        dest,
        pre,
    };
    const r = await run(python, ["-c", LOOKUP, JSON.stringify(cfg)]);
    if (r.code !== 0) return { found: false, latestWheels: [], errors: [`looking up ${requirement} failed: ${r.stderr.trim().split("\n").pop()}`] };
    return JSON.parse(r.stdout) as ProjectLookup;
}

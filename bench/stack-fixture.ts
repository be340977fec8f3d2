// A stack like a service team's (issue 27): a TypeScript Pulumi program of
// PythonFunctions over a few dependency sets of different sizes, 10 handler
// folders each (every folder with its requirements.txt, as SAM and most
// repositories lay them out), and 5 shared layers (one of dependencies,
// four of the team's own modules), plus the equivalent SAM template and the
// same program in Python.
//
// The runtime is python3.11 everywhere: `sam build` needs the runtime's
// Python on PATH, and that is the Python this machine has. Every set is
// pinned, its dependencies too (resolved 2026-12-07 for python3.11,
// x86_64), so runs months apart build the same files.
//
// Used by bench/stack.ts (`npm run bench -- stack`), bench/growth.ts and the
// remote-cache bench. The program imports "pulumi-lambda-python" as a user's
// does: its node_modules links this checkout (build it first) and the
// checkout's own dependencies.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
export const STACK_RUNTIME = "python3.11";

interface SetSpec {
    name: string;
    requirements: string;
    /** Handler bodies; function i takes body i mod length, with its name and number put in. */
    handlers: string[];
    /** Shared layers the set's functions use (names of LAYERS). */
    layers: string[];
}

/** Smallest to largest installed size. */
const SETS: SetSpec[] = [
    {
        name: "http",
        requirements: "requests==2.34.2\ncertifi==2026.10.19.post1\ncharset-normalizer==3.5.3\nidna==3.21\nurllib3==2.8.0\n",
        handlers: [
            'import json\nimport os\n\nimport requests\nfrom common.config import setting\nfrom observability.log import logger\n\nSESSION = requests.Session()\n\n\ndef lambda_handler(event, context):\n    url = event.get("url") or setting("__NAME___URL", "https://example.com/health")\n    logger("__NAME__").info("checking %s", url)\n    try:\n        r = SESSION.get(url, timeout=2)\n        return {"statusCode": 200, "body": json.dumps({"status": r.status_code, "n": __N__})}\n    except requests.RequestException as e:\n        return {"statusCode": 502, "body": json.dumps({"error": type(e).__name__, "n": __N__})}\n',
            'import requests\nfrom requests.adapters import HTTPAdapter\nfrom urllib3.util import Retry\nfrom common.config import setting\n\n\ndef session():\n    s = requests.Session()\n    s.mount("https://", HTTPAdapter(max_retries=Retry(total=2, backoff_factor=0.1)))\n    return s\n\n\ndef lambda_handler(event, context):\n    """__NAME__: forwards a webhook (function __N__)."""\n    target = setting("__NAME___TARGET", "")\n    if not target:\n        return {"statusCode": 204}\n    r = session().post(target, json=event, timeout=3)\n    return {"statusCode": r.status_code}\n',
        ],
        layers: ["common", "observability", "powertools"],
    },
    {
        name: "api",
        requirements:
            "fastapi==0.165.0\nmangum==0.22.0\nannotated-doc==0.0.7\nannotated-types==0.8.0\nanyio==4.16.0\nidna==3.21\nopentelemetry-api==1.45.3\npydantic==2.14.4\npydantic_core==2.50.5\nstarlette==1.10.0\ntyping-inspection==0.4.5\ntyping_extensions==4.16.0\n",
        handlers: [
            'from fastapi import FastAPI, HTTPException\nfrom mangum import Mangum\nfrom pydantic import BaseModel\nfrom models.ids import new_id\n\napp = FastAPI(title="__NAME__")\n\n\nclass Item(BaseModel):\n    name: str\n    quantity: int = 1\n\n\nITEMS: dict[str, Item] = {}\n\n\n@app.post("/items")\ndef create(item: Item):\n    key = new_id("__NAME__")\n    ITEMS[key] = item\n    return {"id": key, "n": __N__}\n\n\n@app.get("/items/{key}")\ndef read(key: str):\n    if key not in ITEMS:\n        raise HTTPException(status_code=404)\n    return ITEMS[key]\n\n\nlambda_handler = Mangum(app, lifespan="off")\n',
            'from fastapi import FastAPI\nfrom mangum import Mangum\nfrom observability.log import logger\n\napp = FastAPI(title="__NAME__")\nlog = logger("__NAME__")\n\n\n@app.get("/health")\ndef health():\n    log.info("health")\n    return {"ok": True, "function": __N__}\n\n\nlambda_handler = Mangum(app, lifespan="off")\n',
        ],
        layers: ["common", "observability", "models", "powertools"],
    },
    {
        name: "auth",
        requirements: "pyjwt==2.15.1\ncryptography==51.0.1\ncffi==2.1.1\npycparser==3.12\n",
        handlers: [
            'import time\n\nimport jwt\nfrom cryptography.hazmat.primitives.asymmetric import ec\nfrom common.config import setting\n\nKEY = ec.generate_private_key(ec.SECP256R1())\n\n\ndef lambda_handler(event, context):\n    """__NAME__: issues a short-lived token (function __N__)."""\n    now = int(time.time())\n    claims = {"sub": event.get("user", "anonymous"), "iat": now, "exp": now + int(setting("TTL", "300")), "aud": "__NAME__"}\n    return {"token": jwt.encode(claims, KEY, algorithm="ES256")}\n',
            'import jwt\nfrom common.config import setting\nfrom observability.log import logger\n\n\ndef lambda_handler(event, context):\n    """__NAME__: an API Gateway authorizer (function __N__)."""\n    token = (event.get("authorizationToken") or "").removeprefix("Bearer ")\n    try:\n        claims = jwt.decode(token, setting("SECRET", "dev-secret"), algorithms=["HS256"])\n    except jwt.PyJWTError as e:\n        logger("__NAME__").warning("refused: %s", e)\n        return {"principalId": "anonymous", "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": event.get("methodArn", "*")}]}}\n    return {"principalId": claims["sub"], "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event.get("methodArn", "*")}]}}\n',
        ],
        layers: ["common", "observability", "models"],
    },
    {
        name: "db",
        requirements: "sqlalchemy==2.1.9\npsycopg==3.3.9\npsycopg-binary==3.3.9\ntyping-extensions==4.16.0\n",
        handlers: [
            'from sqlalchemy import Integer, String, create_engine, select\nfrom sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column\nfrom common.config import setting\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\nclass Order(Base):\n    __tablename__ = "orders___N__"\n    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n    customer: Mapped[str] = mapped_column(String(64))\n\n\nENGINE = create_engine(setting("DATABASE_URL", "sqlite://"))\nBase.metadata.create_all(ENGINE)\n\n\ndef lambda_handler(event, context):\n    """__NAME__: orders of one customer."""\n    with Session(ENGINE) as s:\n        rows = s.scalars(select(Order).where(Order.customer == event.get("customer", ""))).all()\n        return {"orders": [o.id for o in rows]}\n',
            'import psycopg\nfrom common.config import setting\nfrom observability.log import logger\n\n\ndef lambda_handler(event, context):\n    """__NAME__: a health probe of the database (function __N__)."""\n    url = setting("DATABASE_URL", "")\n    if not url:\n        return {"ok": False, "reason": "DATABASE_URL is not set", "driver": psycopg.__version__}\n    try:\n        with psycopg.connect(url, connect_timeout=2) as conn:\n            conn.execute("select 1")\n        return {"ok": True}\n    except psycopg.Error as e:\n        logger("__NAME__").error("%s", e)\n        return {"ok": False, "reason": str(e)}\n',
        ],
        layers: ["common", "observability", "models", "clients"],
    },
    {
        name: "data",
        requirements: "numpy==2.2.6\npandas==2.3.2\npython-dateutil==4.0.0\npytz==2026.6\ntzdata==2026.6\n",
        handlers: [
            'import numpy as np\nimport pandas as pd\nfrom observability.log import logger\n\n\ndef lambda_handler(event, context):\n    """__NAME__: summary statistics of the posted values (function __N__)."""\n    values = pd.Series(event.get("values", list(range(10))), dtype="float64")\n    logger("__NAME__").info("%d values", len(values))\n    return {"mean": float(values.mean()), "p95": float(np.percentile(values, 95)), "n": __N__}\n',
            'import io\n\nimport pandas as pd\nfrom common.config import setting\n\n\ndef lambda_handler(event, context):\n    """__NAME__: totals per key of a CSV body (function __N__)."""\n    frame = pd.read_csv(io.StringIO(event.get("body", "key,amount\\na,1\\nb,2\\na,3\\n")))\n    limit = int(setting("LIMIT", "100"))\n    return frame.groupby("key")["amount"].sum().head(limit).to_dict()\n',
        ],
        layers: ["common", "observability", "clients"],
    },
];

const ACTIONS = ["list", "get", "create", "update", "delete", "sync", "report", "notify", "import", "export", "audit", "archive"];

/** The team's own modules, shipped as layers (PythonLayer `source`: the folder's modules go under python/). */
const CODE_LAYERS: Record<string, Record<string, string>> = {
    common: {
        "common/__init__.py": '"""Shared helpers of the service."""\n',
        "common/config.py": 'import os\n\n\ndef setting(name: str, default: str = "") -> str:\n    """A setting from the environment, with a default for local runs."""\n    return os.environ.get(name.upper().replace("-", "_"), default)\n',
    },
    observability: {
        "observability/__init__.py": "",
        "observability/log.py":
            'import json\nimport logging\nimport os\n\n\nclass _Json(logging.Formatter):\n    def format(self, record):\n        return json.dumps({"level": record.levelname, "logger": record.name, "message": record.getMessage()})\n\n\ndef logger(name: str) -> logging.Logger:\n    log = logging.getLogger(name)\n    if not log.handlers:\n        h = logging.StreamHandler()\n        h.setFormatter(_Json())\n        log.addHandler(h)\n        log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))\n    return log\n',
    },
    models: {
        "models/__init__.py": "",
        "models/ids.py": 'import secrets\nimport time\n\n\ndef new_id(prefix: str) -> str:\n    """A sortable id: prefix, milliseconds, random suffix."""\n    return f"{prefix}-{int(time.time() * 1000):013d}-{secrets.token_hex(4)}"\n',
    },
    clients: {
        "clients/__init__.py": "",
        "clients/s3.py": 'import os\n\n\ndef bucket() -> str:\n    return os.environ.get("DATA_BUCKET", "")\n\n\ndef key_for(kind: str, day: str) -> str:\n    return f"{kind}/{day}.parquet"\n',
    },
};
const POWERTOOLS = "aws-lambda-powertools==3.37.0\njmespath==1.1.0\ntyping-extensions==4.16.0\n";

const TSCONFIG = {
    compilerOptions: {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        sourceMap: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
    },
    files: ["index.ts"],
};

function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
}

const camel = (s: string) => s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** The i-th function name of a set, e.g. "http-list-1". */
function functionName(set: string, i: number): string {
    return `${set}-${ACTIONS[i % ACTIONS.length]}-${i + 1}`;
}

/**
 * Writes the stack into `dir` (emptied first): `program/` (Pulumi.yaml, package.json, tsconfig.json,
 * index.ts, node_modules linking this checkout, functions/<set>/<name>/, layers/<name>/),
 * `program-python/` (the same program in Python) and `sam/template.yaml` over the same folders.
 * `sets` (at most 5) takes the smallest sets first.
 */
export function writeStack(dir: string, opts: { functionsPerSet?: number; sets?: number } = {}): { programDir: string; pythonProgramDir: string; sets: { name: string; requirements: string }[]; samTemplate: string } {
    const perSet = opts.functionsPerSet ?? 10;
    const sets = SETS.slice(0, opts.sets ?? SETS.length);
    if (perSet < 1 || sets.length < 1) throw new Error("writeStack: functionsPerSet and sets must be at least 1");
    fs.rmSync(dir, { recursive: true, force: true });
    const programDir = path.join(dir, "program");

    write(path.join(programDir, "Pulumi.yaml"), "name: orders-service\nruntime: nodejs\ndescription: The orders service's Lambda functions\nmain: index.ts\n");
    write(
        path.join(programDir, "package.json"),
        `${JSON.stringify({ name: "orders-service", main: "index.ts", private: true, dependencies: { "@pulumi/pulumi": "^3.270.0", "@pulumi/aws": "^7.48.0", "pulumi-lambda-python": "^0.1.0" }, devDependencies: { "@types/node": "^24.19.2", typescript: "^5.9.3" } }, null, 2)}\n`,
    );
    write(path.join(programDir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
    // node_modules: this checkout as the package, and its dependencies (one copy of @pulumi/pulumi for both).
    const modules = path.join(programDir, "node_modules");
    fs.mkdirSync(modules, { recursive: true });
    for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
        if (entry !== ".bin" && !entry.startsWith(".")) fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
    }
    fs.symlinkSync(ROOT, path.join(modules, "pulumi-lambda-python"));

    const usedLayers = [...new Set(sets.flatMap((s) => s.layers))];
    for (const layer of usedLayers) {
        if (layer === "powertools") write(path.join(programDir, "layers", layer, "requirements.txt"), POWERTOOLS);
        else for (const [rel, text] of Object.entries(CODE_LAYERS[layer])) write(path.join(programDir, "layers", layer, rel), text);
    }

    const ts: string[] = [
        "// The orders service: its Lambda functions by dependency set, and the layers they share.",
        'import * as path from "path";',
        'import { PythonFunction, PythonLayer } from "pulumi-lambda-python";',
        "",
        `const runtime = "${STACK_RUNTIME}";`,
        "",
    ];
    for (const layer of usedLayers) {
        const arg = layer === "powertools" ? `requirements: path.join(__dirname, "layers", "${layer}", "requirements.txt")` : `source: path.join(__dirname, "layers", "${layer}")`;
        ts.push(`const ${camel(layer)} = new PythonLayer("${layer}", { ${arg}, runtimes: [runtime], description: "${layer} layer of the orders service" });`);
    }
    ts.push("", "export const functionNames: Record<string, unknown> = {};", "");
    const sam: string[] = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        "Description: The orders service's Lambda functions",
        "Globals:",
        "  Function:",
        `    Runtime: ${STACK_RUNTIME}`,
        "    Architectures: [x86_64]",
        "    Timeout: 10",
        "Resources:",
    ];
    for (const layer of usedLayers) {
        sam.push(
            `  ${layerLogicalId(layer)}:`,
            "    Type: AWS::Serverless::LayerVersion",
            "    Properties:",
            `      LayerName: ${layer}`,
            `      ContentUri: ../program/layers/${layer}/`,
            `      CompatibleRuntimes: [${STACK_RUNTIME}]`,
            "    Metadata:",
            `      BuildMethod: ${STACK_RUNTIME}`,
        );
    }
    for (const set of sets) {
        ts.push(`// ${set.name}: ${set.requirements.split("\n")[0]} and ${set.requirements.trim().split("\n").length - 1} more pinned`);
        ts.push(`for (const name of ${JSON.stringify(Array.from({ length: perSet }, (_, i) => functionName(set.name, i)))}) {`);
        ts.push(`    const fn = new PythonFunction(name, {`);
        ts.push(`        source: path.join(__dirname, "functions", "${set.name}", name),`);
        ts.push(`        handler: "app.lambda_handler",`);
        ts.push(`        runtime,`);
        ts.push(`        layers: [${set.layers.map(camel).join(", ")}],`);
        ts.push(`        timeout: 10,`);
        ts.push(`        environment: { SERVICE: "orders", FUNCTION: name },`);
        ts.push("    });");
        ts.push("    functionNames[name] = fn.name;");
        ts.push("}");
        for (let i = 0; i < perSet; i++) {
            const name = functionName(set.name, i);
            const folder = path.join(programDir, "functions", set.name, name);
            const body = set.handlers[i % set.handlers.length].replaceAll("__NAME__", name).replaceAll("__N__", String(i + 1));
            write(path.join(folder, "app.py"), body);
            write(path.join(folder, "requirements.txt"), set.requirements);
            sam.push(
                `  ${camel(`fn-${name}`).replace(/^f/, "F")}:`,
                "    Type: AWS::Serverless::Function",
                "    Properties:",
                `      CodeUri: ../program/functions/${set.name}/${name}/`,
                "      Handler: app.lambda_handler",
                `      Layers: [${set.layers.map((l) => `!Ref ${layerLogicalId(l)}`).join(", ")}]`,
                "      Environment:",
                "        Variables:",
                "          SERVICE: orders",
                `          FUNCTION: ${name}`,
            );
        }
    }
    write(path.join(programDir, "index.ts"), `${ts.join("\n")}\n`);
    const samTemplate = path.join(dir, "sam", "template.yaml");
    write(samTemplate, `${sam.join("\n")}\n`);
    const pythonProgramDir = path.join(dir, "program-python");
    writePythonProgram(pythonProgramDir, programDir, sets, perSet, usedLayers);
    return { programDir, pythonProgramDir, sets: sets.map((s) => ({ name: s.name, requirements: s.requirements })), samTemplate };
}

/**
 * The same stack as a Python program (`program-python/`), over the TypeScript program's folders: the
 * components through the SDK Pulumi's generator made (examples/python-program/sdks/lambda-python, which
 * requirements.txt installs as `pulumi package add` has it), no virtualenv of its own (the preview's has
 * the Pulumi Python SDK). Its components are built by the provider plugin.
 */
function writePythonProgram(dir: string, programDir: string, sets: SetSpec[], perSet: number, usedLayers: string[]): void {
    write(path.join(dir, "Pulumi.yaml"), "name: orders-service-py\nruntime: python\ndescription: The orders service's Lambda functions, from Python\n");
    write(path.join(dir, "requirements.txt"), `pulumi>=3.221.0,<4.0.0\n-e ${path.join(ROOT, "examples", "python-program", "sdks", "lambda-python")}\n`);
    const py: string[] = [
        '"""The orders service: its Lambda functions by dependency set, and the layers they share."""',
        "import os",
        "",
        "import pulumi",
        "import pulumi_lambda_python as lambda_python",
        "",
        `RUNTIME = "${STACK_RUNTIME}"`,
        `HERE = ${JSON.stringify(programDir)}`,
        "",
    ];
    for (const layer of usedLayers) {
        const arg = layer === "powertools" ? `requirements=os.path.join(HERE, "layers", "${layer}", "requirements.txt")` : `source=os.path.join(HERE, "layers", "${layer}")`;
        py.push(`${layer} = lambda_python.PythonLayer("${layer}", ${arg}, runtimes=[RUNTIME], description="${layer} layer of the orders service")`);
    }
    py.push("", "function_names = {}");
    for (const set of sets) {
        py.push(`for name in ${JSON.stringify(Array.from({ length: perSet }, (_, i) => functionName(set.name, i)))}:`);
        py.push("    fn = lambda_python.PythonFunction(");
        py.push("        name,");
        py.push(`        source=os.path.join(HERE, "functions", "${set.name}", name),`);
        py.push('        handler="app.lambda_handler",');
        py.push("        runtime=RUNTIME,");
        py.push(`        layers=[${set.layers.join(", ")}],`);
        py.push("        timeout=10,");
        py.push('        environment={"SERVICE": "orders", "FUNCTION": name},');
        py.push("    )");
        py.push("    function_names[name] = fn.name");
    }
    py.push("", 'pulumi.export("functionNames", function_names)');
    write(path.join(dir, "__main__.py"), `${py.join("\n")}\n`);
}

function layerLogicalId(layer: string): string {
    return `${camel(`layer-${layer}`).replace(/^l/, "L")}`;
}

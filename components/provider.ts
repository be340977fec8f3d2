// The multi-language entry: when Pulumi's plugin launcher loads this package
// (a consumer ran `pulumi package add`), serve PythonFunction and PythonLayer
// over the provider protocol with the Node.js SDK's ComponentProvider (what
// componentProviderHost serves), which infers the schema from the classes
// (analyzing provider/index.ts). See provider/DESIGN.md.
//
// Why not let the launcher discover the components by itself: it would name
// the package after package.json (`pulumi-lambda-python`), so the type tokens
// would change and the Python module would be `pulumi_pulumi_lambda_python`.
// Serving first under `lambda-python` keeps the tokens existing stacks use;
// the launcher's own host call then finds a server running and returns
// (test/multilang.test.ts starts the plugin through the launcher and checks
// the package name it serves, so an SDK change here fails a test).
import * as fs from "fs";
import * as path from "path";
import { main as serveProvider } from "@pulumi/pulumi/provider";
import { ComponentProvider, ComponentProviderOptions } from "@pulumi/pulumi/provider/experimental";
import { skipPromiseStackTraces } from "../shared/promise-stack-traces";

/** The schema's package name: the prefix of the components' type tokens. */
const PACKAGE_NAME = "lambda-python";

/** The folder holding PulumiPlugin.yaml (the package root, from source or from dist/). */
function pluginRoot(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "PulumiPlugin.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no PulumiPlugin.yaml above ${__dirname}`);
    }
}

/**
 * The SDK's component provider, serving the reviewed schema (provider/schema.json) instead of analyzing the
 * package's TypeScript on every start: the analysis costs ~5 s of CPU (11-16 s on a loaded machine) before a
 * Python program's first component is constructed, in every `pulumi up` and offline preview. The reviewed
 * schema is the analyzer's output, checked by test/multilang.test.ts, which sets LAMBDA_PYTHON_ANALYZE_SCHEMA
 * to have the plugin analyze. The analyzer cannot write one thing: a reference to a component of this package
 * (PythonFunction's `layers` takes PythonLayers as well as ARNs).
 */
class LambdaPythonProvider extends ComponentProvider {
    constructor(
        options: ComponentProviderOptions & { version: string },
        private readonly reviewedSchema: string,
    ) {
        super(options);
    }

    async getSchema(): Promise<string> {
        if (process.env.LAMBDA_PYTHON_ANALYZE_SCHEMA) {
            const schema = JSON.parse(await super.getSchema());
            const layers = schema.resources[`${PACKAGE_NAME}:index:PythonFunction`].inputProperties.layers;
            layers.items = { oneOf: [{ type: "string" }, { $ref: `#/resources/${PACKAGE_NAME}:index:PythonLayer` }] };
            layers.description = "Layers in order (at most 5): PythonLayers (checked against the function at preview) or layer ARNs.";
            return JSON.stringify(schema);
        }
        const text = fs.readFileSync(this.reviewedSchema, "utf8");
        const schema = JSON.parse(text) as { resources: Record<string, { properties?: Record<string, unknown> }> };
        // What Construct reads of the analysis (the SDK's ComponentProvider): each component's output names.
        const definitions: Record<string, { outputs: Record<string, unknown> }> = {};
        for (const [token, resource] of Object.entries(schema.resources)) definitions[token.split(":")[2]] = { outputs: resource.properties ?? {} };
        Object.assign(this, { componentDefinitions: definitions, cachedSchema: text });
        return text;
    }
}

/** Serves the components; prints the port and keeps the process alive, as a provider plugin does. */
export function serveComponents(components: ComponentProviderOptions["components"]): Promise<void> {
    const root = pluginRoot();
    // The host reads `version` too (the schema's version); it is the npm package's.
    const options: ComponentProviderOptions & { version: string } = {
        name: PACKAGE_NAME,
        version: JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version,
        dirname: path.join(root, "provider"),
        components,
    };
    skipPromiseStackTraces(path.dirname(require.resolve("@pulumi/pulumi/package.json")));
    return serveProvider(new LambdaPythonProvider(options, path.join(root, "provider", "schema.json")), process.argv.slice(2));
}

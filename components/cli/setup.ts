// lambda-python setup: install the tools other commands use (pinned versions,
// into the build cache's tools folder).
import { ensureUv, toolsDir } from "../tools";
import { parse } from "./args";

export const setupUsage = "lambda-python setup [--quiet]";

export async function setupCommand(argv: string[]): Promise<number> {
    const { values: v } = parse("setup", argv, { quiet: { type: "boolean" } }, setupUsage);
    if (v.help) {
        console.log(`${setupUsage}\n\nInstalls uv (fast installs for the Lambda target) at a pinned version into ${toolsDir()}\n(LAMBDA_PYTHON_TOOLS_DIR to change it).`);
        return 0;
    }
    const uv = await ensureUv(toolsDir());
    if (!v.quiet) console.log(`uv: ${uv}`);
    return 0;
}

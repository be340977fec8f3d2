// lambda-python setup: install the tools other commands use (pinned versions,
// into the build cache's tools folder).
import { defaultToolsDir } from "../build/cache";
import { ensureUv } from "../tools";
import { parse } from "./args";
import { setupUsage } from "./usage";


export async function setupCommand(argv: string[]): Promise<number> {
    const { values: v } = parse("setup", argv, { quiet: { type: "boolean" } }, setupUsage);
    if (v.help) {
        console.log(`${setupUsage}\n\nInstalls uv (fast installs for the Lambda target) at a pinned version into ${defaultToolsDir()}\n(LAMBDA_PYTHON_TOOLS_DIR to change it).`);
        return 0;
    }
    const uv = await ensureUv(defaultToolsDir());
    if (!v.quiet) console.log(`uv: ${uv}`);
    return 0;
}

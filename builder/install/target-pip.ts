// pip, run so that environment markers are judged for the Lambda target.
//
// pip's --python-version/--platform/--abi choose wheels for the target, but
// markers (`exceptiongroup; python_version < "3.11"`) are still evaluated
// against the Python running pip: on a 3.11 host, FastAPI for python3.10 is
// installed without exceptiongroup and fails to import on Lambda. There is no
// option for it (pypa/pip#11010, #13296), and running pip under the target's own
// CPython would mean downloading a Python build for every runtime. So pip
// runs through this small launcher, which replaces the marker environment of
// pip's vendored `packaging` with the target's before pip's main starts —
// the values uv uses for --python-version/--python-platform.
import { LambdaTarget } from "../../policies/target";

/** PEP 508 marker values of a Lambda runtime. */
export function targetMarkers(target: LambdaTarget): Record<string, string> {
    const [major, minor] = target.python;
    return {
        implementation_name: "cpython",
        implementation_version: `${major}.${minor}.0`,
        os_name: "posix",
        platform_machine: target.wheelArch,
        platform_python_implementation: "CPython",
        platform_system: "Linux",
        python_full_version: `${major}.${minor}.0`,
        python_version: `${major}.${minor}`,
        sys_platform: "linux",
    };
}

const LAUNCHER = [
    "import json, sys",
    "from pip._vendor.packaging import markers",
    "target = json.loads(sys.argv[1])",
    "host = markers.default_environment",
    "def for_target():",
    "    env = host()",
    "    env.update(target)",
    "    return env",
    "markers.default_environment = for_target",
    "from pip._internal.cli.main import main",
    "sys.argv = ['pip'] + sys.argv[2:]",
    "sys.exit(main())",
].join("\n");

/** Arguments for `python` that run `pip <pipArgs>` with the target's markers. */
export function pipForTarget(target: LambdaTarget, pipArgs: string[]): string[] {
    return ["-c", LAUNCHER, JSON.stringify(targetMarkers(target)), ...pipArgs];
}

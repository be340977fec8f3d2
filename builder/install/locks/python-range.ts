// Whether a lock's or a dependency's Python requirement admits a Lambda
// runtime. A runtime is a minor version whose patch level AWS moves (3.12.x),
// so a requirement admits it when it admits the minor version or any patch
// of it: `>=3.11.2` admits python3.11, `<3.11` does not. A requirement that
// does not parse is not held against the build (the installers judge it too).
import { LambdaTarget } from "../../../policies/target";

export function pythonAllows(target: LambdaTarget, test: (version: string) => boolean | undefined): boolean {
    const [major, minor] = target.python;
    return [`${major}.${minor}`, `${major}.${minor}.0`, `${major}.${minor}.99`].some((v) => test(v) !== false);
}

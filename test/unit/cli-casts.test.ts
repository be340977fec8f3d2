// The CLI keeps its types: its options are typed by parseArgs (cli/args.ts)
// and the runner's and preview's results are tagged unions, so cli/ needs no
// type cast. A cast that creeps back in (`x as T`, `<T>x`, `x!`; `as const`
// is not one) fails this test, which names it by file and line. Read with
// the TypeScript parser, not a pattern, so `as` in a string or a comment
// does not count.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const CLI = path.join(__dirname, "..", "..", "cli");

/** Casts allowed in cli/: none (issue 29 brought them from 72 to 0). */
const ALLOWED = 0;

/** Each type cast in `text`, as "file:line: the cast". */
function casts(file: string, text: string): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        const asConst = ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === "const";
        if ((ts.isAsExpression(node) && !asConst) || ts.isTypeAssertionExpression(node) || ts.isNonNullExpression(node)) {
            const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
            found.push(`${file}:${line}: ${node.getText(source).replace(/\s+/g, " ").slice(0, 100)}`);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

describe("type casts in cli/", () => {
    it("counts `x as T`, `<T>x` and `x!`, not `as const` or the word in a string or comment", () => {
        const text = `const a = value as string;
const b = <number>other;
const c = maybe!.length; // not "x as T" here
const d = ["x", "y"] as const;
const e = "run as root";
const f = (g as unknown as T)!;`;
        assert.deepEqual(casts("cli/sample.ts", text), [
            "cli/sample.ts:1: value as string",
            "cli/sample.ts:2: <number>other",
            "cli/sample.ts:3: maybe!",
            "cli/sample.ts:6: (g as unknown as T)!",
            "cli/sample.ts:6: g as unknown as T",
            "cli/sample.ts:6: g as unknown",
        ]);
    });

    it(`finds at most ${ALLOWED} in cli/*.ts`, () => {
        const files = fs.readdirSync(CLI).filter((f) => f.endsWith(".ts"));
        assert.ok(files.length > 5, `cli/ has ${files.length} TypeScript files`);
        const found = files.flatMap((f) => casts(path.join("cli", f), fs.readFileSync(path.join(CLI, f), "utf8")));
        assert.ok(found.length <= ALLOWED, `${found.length} type casts in cli/ (at most ${ALLOWED}): type the value where it comes from instead (parseArgs' options, a tagged union):\n${found.join("\n")}`);
    });
});

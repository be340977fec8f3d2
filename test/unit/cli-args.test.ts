// The CLI's option parsing (cli/args.ts): a command's options declared once, as node:util's parseArgs takes
// them, come back with parseArgs' types (the @ts-expect-error lines are checked by `npm run typecheck`), and
// every mistake in them is a UserError of one paragraph naming the option, with the usage line when parseArgs
// refused it. test/build-errors.test.ts and test/invoke.test.ts check the same messages through the CLI.
import { strict as assert } from "assert";
import { allOneOf, date, debugPortOption, namedValues, oneOf, Options, parse, profileInitOption, wholeNumber } from "../../cli/args";
import { isUserError } from "../../shared/errors";
import { ARCHITECTURES, Architecture } from "../../policies/target";

const USAGE = "lambda-python build <source-dir> [--arch x86_64|arm64] [--out FILE] [--json] [option]...";

const OPTIONS = {
    arch: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    include: { type: "string", multiple: true },
} satisfies Options;

/** The UserError `run` throws: its message, and that it is one (exit 2, no stack trace). */
function userError(run: () => unknown): string {
    try {
        run();
    } catch (e) {
        assert.ok(isUserError(e), `a UserError, not ${e}`);
        return e.message;
    }
    assert.fail("no error was thrown");
}

describe("the CLI's option parsing", () => {
    it("gives each option's value with the type its declaration implies", () => {
        const { values, positionals } = parse("build", ["app", "--arch", "arm64", "--json", "--include", "a/**", "--include=b.py"], OPTIONS, USAGE);
        assert.deepEqual(positionals, ["app"]);
        // @ts-expect-error: an option the command does not declare is not among its values
        assert.equal(values.bogus, undefined);
        // @ts-expect-error: a string option is not a number
        const notNumber: number | undefined = values.out;
        // @ts-expect-error: a flag is not a string
        const notString: string | undefined = values.json;
        // @ts-expect-error: a single-valued option is not a list
        const notList: string[] | undefined = values.arch;
        assert.deepEqual([notNumber, notString, notList], [undefined, true, "arm64"], "checked by the type checker, not here");
        const arch: string | undefined = values.arch;
        const json: boolean | undefined = values.json;
        const include: string[] | undefined = values.include;
        assert.equal(arch, "arm64");
        assert.equal(json, true);
        assert.deepEqual(include, ["a/**", "b.py"], "a repeatable option collects its values in order");
        assert.equal(values.out, undefined, "an option not given is undefined");
        assert.equal(values.help, undefined);
    });

    it("keeps the last value of an option given twice that is not repeatable (parseArgs' rule)", () => {
        const { values } = parse("build", ["app", "--out", "a.zip", "--out", "b.zip"], OPTIONS, USAGE);
        assert.equal(values.out, "b.zip");
    });

    it("takes --help and -h for every command", () => {
        assert.equal(parse("build", ["--help"], OPTIONS, USAGE).values.help, true);
        assert.equal(parse("build", ["-h", "--arch", "sparc"], OPTIONS, USAGE).values.help, true, "help is given before any value is judged");
    });

    it("refuses an unknown option with the usage line and where to read more", () => {
        const message = userError(() => parse("build", ["app", "--bogus"], OPTIONS, USAGE));
        assert.match(message, /^Unknown option '--bogus'\./);
        assert.doesNotMatch(message, /TypeError|ERR_PARSE_ARGS/, "parseArgs' error code is not the user's business");
        assert.ok(message.endsWith(`\n\nUsage: ${USAGE}\nRun "lambda-python build --help" for details.`), message);
    });

    it("refuses an option whose value is missing", () => {
        const message = userError(() => parse("build", ["app", "--out"], OPTIONS, USAGE));
        assert.match(message, /^Option '--out <value>' argument missing\n\nUsage: /);
    });

    it("refuses a value given to a flag", () => {
        assert.match(
            userError(() => parse("build", ["app", "--json=yes"], OPTIONS, USAGE)),
            /^Option '--json' does not take an argument/,
        );
    });

    it("refuses a value outside an option's list, naming the choices", () => {
        assert.equal(
            userError(() => oneOf("arch", "sparc", ARCHITECTURES)),
            '--arch must be one of x86_64, arm64; got "sparc".',
        );
        const arch: Architecture | undefined = oneOf("arch", "arm64", ARCHITECTURES);
        assert.equal(arch, "arm64");
        assert.equal(oneOf("arch", undefined, ARCHITECTURES), undefined);
        const kind: "function" | "layer" | undefined = oneOf("kind", "layer", ["function", "layer"]);
        assert.equal(kind, "layer");
    });

    it("checks each value of a repeatable option against the list", () => {
        assert.deepEqual(allOneOf("arch", ["arm64", "x86_64"], ARCHITECTURES), ["arm64", "x86_64"]);
        assert.equal(allOneOf("arch", undefined, ARCHITECTURES), undefined);
        assert.equal(
            userError(() => allOneOf("arch", ["x86_64", "sparc"], ARCHITECTURES)),
            '--arch must be one of x86_64, arm64; got "sparc".',
        );
    });

    it("takes whole numbers only, in their range when it has one", () => {
        assert.equal(wholeNumber("timeout", "30"), 30);
        assert.equal(wholeNumber("timeout", undefined), undefined);
        for (const bad of ["abc", "1.5", "-1", "", "0x10", "1e3"]) {
            assert.equal(
                userError(() => wholeNumber("timeout", bad)),
                `--timeout wants a whole number; got "${bad}".`,
            );
        }
        assert.equal(wholeNumber("port", "0", { min: 0, max: 65535 }), 0);
        assert.equal(
            userError(() => wholeNumber("port", "65536", { min: 0, max: 65535 })),
            "--port must be from 0 to 65535; got 65536.",
        );
        assert.equal(
            userError(() => wholeNumber("level", "13", { min: 0, max: 12, outside: (n) => `--level must be from 0 (store) to 12; got ${n}.` })),
            "--level must be from 0 (store) to 12; got 13.",
        );
    });

    it("takes a debugger's port from 1024 to 65535, and not with --profile-init", () => {
        assert.equal(debugPortOption("5890"), 5890);
        assert.equal(debugPortOption(undefined), undefined);
        for (const port of ["80", "65536"]) {
            assert.equal(
                userError(() => debugPortOption(port)),
                `--debug-port must be from 1024 to 65535 (a port your editor attaches to, e.g. 5890); got ${port}.`,
            );
        }
        assert.equal(profileInitOption(true, undefined), true);
        assert.equal(profileInitOption(undefined, 5890), false);
        assert.match(
            userError(() => profileInitOption(true, 5890)),
            /^--profile-init and --debug-port cannot be used together/,
        );
    });

    it("reads NAME=VALUE pairs, a later NAME winning and an = in the value kept", () => {
        assert.deepEqual(namedValues("env", ["A=1", "B=x=y", "A=2", "C="]), { A: "2", B: "x=y", C: "" });
        assert.deepEqual(namedValues("env", undefined), {});
        for (const bad of ["NOEQ", "=value"]) {
            assert.equal(
                userError(() => namedValues("env", [bad])),
                `--env wants NAME=VALUE; got "${bad}".`,
            );
        }
        assert.equal(
            userError(() => namedValues("config", ["region"], "takes key=value (e.g. --config aws:region=eu-west-1)")),
            '--config takes key=value (e.g. --config aws:region=eu-west-1); got "region".',
        );
    });

    it("takes dates as YYYY-MM-DD", () => {
        assert.equal(date("now", "2026-12-07"), "2026-12-07");
        assert.equal(date("now", undefined), undefined);
        for (const bad of ["2026-13-45", "7 Dec 2026", "2026-12-7"]) {
            assert.equal(
                userError(() => date("now", bad)),
                `--now must be a date as YYYY-MM-DD; got "${bad}".`,
            );
        }
    });
});

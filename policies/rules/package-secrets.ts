// lambda-package-secrets: credentials in the files a function or layer ships.
// Anyone who can read the function's code (lambda:GetFunction hands out a
// download link to it) can read them. The archive's own files are scanned
// for AWS keys and other well-known credential formats
// (inspect/secrets.ts); an installed distribution's files are not (their
// authors', listed in their RECORD). Messages name the file and the kind of
// credential, never the value.
import { ArchiveFacts } from "../inspect/facts";
import { listSome } from "./format";
import { finding, Finding } from "./types";

const POLICY = "lambda-package-secrets";

export interface PackageSecretsConfig {
    /** Files never reported (archive paths; `*` within a folder name, `**` across folders): test fixtures, documented examples. */
    allowFiles: string[];
}

export const packageSecretsDefaults: PackageSecretsConfig = { allowFiles: [] };

export const packageSecretsSchema = {
    allowFiles: {
        type: "array",
        items: { type: "string" },
        default: packageSecretsDefaults.allowFiles,
        description: "Archive paths never reported (* within a name, ** across folders), e.g. tests/fixtures/** for keys that are not credentials.",
    },
};

/** `tests/**` → a RegExp over archive paths. */
function globRegExp(glob: string): RegExp {
    const source = glob
        .split("**")
        .map((part) =>
            part
                .split("*")
                .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                .join("[^/]*"),
        )
        .join(".*");
    return new RegExp(`^${source}$`);
}

export function checkPackageSecrets(facts: ArchiveFacts, config: PackageSecretsConfig = packageSecretsDefaults): Finding[] {
    const allowed = config.allowFiles.map(globRegExp);
    const found = (facts.secrets ?? []).filter((s) => !allowed.some((re) => re.test(s.name)));
    if (!found.length) return [];
    const shown = found.map((s) => `${s.name} (${s.what.join(", ")})`);
    return [
        finding(
            POLICY,
            "mandatory",
            `${facts.label} ships credentials in ${found.length > 1 ? `${found.length} files` : "a file"}: ${listSome(shown, 5)}. Anyone who can read the function's code can use them. ` +
                "Take them out of the package: give the function an IAM role for AWS access, and read other secrets at run time from Secrets Manager or SSM Parameter Store. " +
                "If a match is not a credential, list the file in this policy's allowFiles config.",
        ),
    ];
}

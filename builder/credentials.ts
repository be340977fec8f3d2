// Credential files: secrets that tools keep in files beside the code and that
// must not be uploaded inside a Lambda package (anyone who can read the
// function's code could read them). The builder leaves them out of the user's
// folders by default and lists them in its report; an --include that names
// one puts it back. The names are those the tools themselves use (AWS CLI,
// OpenSSH, npm, twine/pip, curl/ftp, direnv, dotenv, Terraform, git, Docker);
// a link is judged by its target's name too, so `config -> .env` stays out.
import * as fs from "fs";

/** Folders whose every file is a credential or close to one. */
const CREDENTIAL_FOLDERS = [".ssh", ".aws", ".gnupg", ".docker"];

/** Files by exact name. */
const CREDENTIAL_NAMES = [
    "credentials", // ~/.aws/credentials and the same format elsewhere
    ".env",
    ".envrc",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".dockercfg",
    ".pgpass",
    ".my.cnf",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk", // OpenSSH private keys
    "terraform.tfvars",
];

/** Files by ending: dotenv files, Terraform variables and state (which holds secrets in plain text), key stores. */
const CREDENTIAL_SUFFIXES = [".env", ".tfvars", ".tfvars.json", ".tfstate", ".tfstate.backup", ".p12", ".pfx", ".jks", ".keystore"];

/**
 * Endings judged by content: a .pem or .key file is a credential when it
 * holds a private key. Certificate bundles (certifi's cacert.pem) are not.
 */
const PRIVATE_KEY_SUFFIXES = [".pem", ".key"];
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
/**
 * Requirement files and installer settings, judged by content: one that
 * names an index with a password (`--index-url https://user:pw@…`) is a
 * credential file. Lambda never reads them, and the requirements file the
 * build installs from used to ship with its index password.
 */
const INDEX_SETTINGS = /^(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt|pip\.(conf|ini)|uv\.toml|pyproject\.toml|poetry\.toml|pylock[^/]*\.toml)$/;
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"]+:[^\s/@'"]+@/i;
const READ_AT_MOST = 4 * 1024 * 1024;

/**
 * Whether the file at `rel` (relative, "/"-separated; its content at `abs`)
 * is a credential file.
 */
export function isCredentialFile(rel: string, abs: string): boolean {
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    if (CREDENTIAL_NAMES.includes(name) || name.startsWith(".env.") || CREDENTIAL_SUFFIXES.some((s) => name.endsWith(s))) return true;
    // The folders on its path, without an array of them (this runs for every file of a tree).
    for (let start = 0, end = rel.indexOf("/"); end >= 0; start = end + 1, end = rel.indexOf("/", start)) {
        if (CREDENTIAL_FOLDERS.includes(rel.slice(start, end))) return true;
    }
    if (PRIVATE_KEY_SUFFIXES.some((s) => name.endsWith(s))) return holds(abs, PRIVATE_KEY);
    if (INDEX_SETTINGS.test(name)) return holds(abs, URL_PASSWORD);
    return false;
}

function holds(abs: string, content: RegExp): boolean {
    try {
        const fd = fs.openSync(abs, "r");
        try {
            const buf = Buffer.alloc(Math.min(fs.fstatSync(fd).size, READ_AT_MOST));
            const n = fs.readSync(fd, buf, 0, buf.length, 0);
            return content.test(buf.toString("latin1", 0, n));
        } finally {
            fs.closeSync(fd);
        }
    } catch {
        return false; // unreadable: the walk reports it when the file is read
    }
}

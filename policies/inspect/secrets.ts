// Credentials by their shape: the value formats of AWS keys and of other
// well-known tokens, recognised in an environment variable's value
// (lambda-environment-secrets) or in a file's text (lambda-package-secrets).
// What is found is described ("an AWS secret access key"), never quoted.
//
// Patterns follow gitleaks' and trufflehog's published rules (the key
// prefixes AWS, GitHub, Slack, Stripe and Google document), each anchored on
// a fixed prefix or keyword so it runs in linear time. False positives are
// kept out on purpose: AWS's documentation keys (AKIAIOSFODNN7EXAMPLE,
// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, which botocore ships in its
// docs) and anything spelled with EXAMPLE, and URL passwords that are
// placeholders (`user:password@`, `${DB_PASSWORD}`).

export interface SecretShape {
    /** "an AWS access key id": how a message names what was found. */
    what: string;
    re: RegExp;
    /** A match that is not a credential (documentation keys, placeholders). */
    example?: (match: RegExpExecArray) => boolean;
}

const EXAMPLE = /EXAMPLE/i;

/** Shapes that are credentials wherever they appear, in a variable's value or a file's text. */
export const SECRET_VALUES: SecretShape[] = [
    // A key id in a signature's credential scope (a presigned URL's X-Amz-Credential, an Authorization header) is
    // public by design, as the AWS CLI's examples show it; its secret key never appears there.
    { what: "an AWS access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, example: (m) => EXAMPLE.test(m[0]) || /Credential=$/i.test(m.input.slice(Math.max(0, m.index - 11), m.index)) },
    { what: "a private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----/g, example: (m) => !pemKeyFollows(m.input, m.index + m[0].length) },
    { what: "a GitHub token", re: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b/g },
    { what: "a Slack token", re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g },
    { what: "a Stripe secret key", re: /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/g },
    { what: "a Google API key", re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
    { what: "a JSON web token", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
];

/** The shortest body a real private key has: an Ed25519 key in PKCS #8 is 64 base64 characters. */
const PEM_BODY_MIN = 60;
/** A header line of an encrypted PEM key ("Proc-Type: 4,ENCRYPTED", "DEK-Info: …"), at the point of a sticky match. */
const PEM_HEADER = /[A-Za-z][A-Za-z-]*: [^\n\\]*/y;

/**
 * Whether a key's body follows its BEGIN line: at least PEM_BODY_MIN base64
 * characters up to the END line (or the end of what is read), across line
 * breaks written as such or as "\n" in a string, quotes and concatenations.
 * Libraries name the marker without a key (rsa, google-auth, cryptography:
 * "when your file has '-----BEGIN RSA PRIVATE KEY-----' …", a regular
 * expression, "<key bytes>", "key omitted") and documentation elides or
 * marks its keys ("MIIEow…fvY4+te", "EXAMPLE…"): none of those is a key.
 */
function pemKeyFollows(text: string, from: number): boolean {
    let chars = 0;
    const end = Math.min(text.length, from + 16384);
    for (let i = from; i < end; i++) {
        const c = text[i];
        if (/[A-Za-z0-9+/=]/.test(c)) {
            chars++;
            continue;
        }
        if (c === "\\" && (text[i + 1] === "n" || text[i + 1] === "r")) i++;
        else if (c === "-" && text.startsWith("-----END", i)) return chars >= PEM_BODY_MIN && !EXAMPLE.test(text.slice(from, i));
        else if (!/[\s"'+,]/.test(c)) return false;
        PEM_HEADER.lastIndex = i + 1;
        if (PEM_HEADER.test(text)) i = PEM_HEADER.lastIndex - 1;
    }
    return chars >= PEM_BODY_MIN && !EXAMPLE.test(text.slice(from, end));
}

/** Placeholder passwords of documentation and templates, not credentials. */
const PLACEHOLDER = /^(\*+|x+|\.+|pass(word)?|passwd|pwd|secret|changeme|redacted|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|<[^>]*>|\{[^}]*\}|%\([^)]*\)s|%s)$/i;

/**
 * Shapes recognised in files only: they need the context a file gives (the
 * name of the key next to an AWS secret key, a URL around a password).
 * A JSON web token in a file is most often a test fixture or an example,
 * so it is left to the environment rule.
 */
const FILE_ONLY: SecretShape[] = [
    {
        what: "an AWS secret access key",
        re: /(?:aws_?)?secret_?access_?key|aws_?secret(?:_?key)?/gi,
        // The 40-character key within a few characters of its name, after = or :.
        example: () => false,
    },
    {
        what: "a password in a URL",
        re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:'"`<>]+:([^\s/@'"`<>]+)@[^\s/'"`<>]/gi,
        example: (m) => PLACEHOLDER.test(m[1]) || EXAMPLE.test(m[1]),
    },
];

const AWS_SECRET_AFTER_NAME = /^["']?\s*[:=]>?\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/;

/**
 * A substring every file shape needs (the key prefixes, "PRIVATE KEY",
 * "secret" in any case, "://"): one pass that most files fail, so the shapes
 * themselves run on few (200 MB of text: 7 ms instead of 390 ms).
 */
const ANY_SHAPE = /AKIA|ASIA|ABIA|ACCA|PRIVATE KEY|gh[pousr]_|github_pat_|xox[abprs]-|_live_|AIza|[Ss][Ee][Cc][Rr][Ee][Tt]|:\/\//;

/** How much of a file is judged (its first megabyte), and how much of it tells a binary from text. */
export const SCAN_FILE_BYTES = 1024 * 1024;
export const BINARY_SNIFF_BYTES = 8192;

/**
 * The credentials a file holds, judged from its first bytes (at least
 * SCAN_FILE_BYTES of it when it is that long): none for a binary (a NUL in
 * its first 8 KB: its bytes only look like text by chance). The one judgement
 * of a file's content, made by the inspection (facts.ts) and by the
 * builder's workers while they compress.
 */
export function secretsInHead(head: Uint8Array): string[] {
    if (head.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return [];
    const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, SCAN_FILE_BYTES)).toString("latin1");
    return secretsInText(text);
}

/** What credentials a file's text holds, each named once, in the order of SECRET_VALUES then the file-only shapes. */
export function secretsInText(text: string): string[] {
    const found: string[] = [];
    if (!ANY_SHAPE.test(text)) return found;
    for (const shape of [...SECRET_VALUES.filter((s) => s.what !== "a JSON web token"), ...FILE_ONLY]) {
        shape.re.lastIndex = 0;
        for (let m = shape.re.exec(text); m; m = shape.re.exec(text)) {
            if (shape.what === "an AWS secret access key") {
                const value = AWS_SECRET_AFTER_NAME.exec(text.slice(shape.re.lastIndex, shape.re.lastIndex + 64));
                if (!value || EXAMPLE.test(value[1])) continue;
            } else if (shape.example?.(m)) continue;
            found.push(shape.what);
            break;
        }
    }
    return found;
}

/**
 * The first shape an environment variable's value has, if any. Examples
 * count here: a documentation key set as a variable is still a key in the
 * function's configuration, and tests rely on that.
 */
export function secretShapeOf(value: string): SecretShape | undefined {
    return SECRET_VALUES.find((s) => {
        s.re.lastIndex = 0;
        return s.re.test(value);
    });
}

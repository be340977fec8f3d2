// Credentials never reach what we print. Every UserError's message goes
// through redactCredentials (errors.ts), and so does progress output: the
// user:password part of any URL becomes ***, and so does every credential
// value known to this process wherever it appears (an index password that
// an installer printed on its own, URL-encoded or not). The known values are
// the ones of index URLs in force (registered by builder/install/indexes.ts)
// and of environment variables whose names say they hold a secret.
//
// Before, an index password masked in one place was printed in full by the
// "index unreachable" message three lines further (pip and uv alike).

const known = new Set<string>();
/** Shorter values would mask ordinary words. */
const MIN_SECRET = 6;
/** Environment variables whose values are credentials (the environment-secrets policy's name patterns, and uv's per-index credentials). */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL|ACCESS_KEY|^UV_INDEX_.+_(USERNAME|PASSWORD)$/i;
let environmentRead = false;

/** Adds a credential value (a password, a token) to mask wherever it shows up, in its URL-encoded form too. */
export function registerSecret(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET) return;
    known.add(value);
    for (const form of [encodeURIComponent(value), safeDecode(value)]) if (form.length >= MIN_SECRET) known.add(form);
}

/** Registers the user name and password of a URL (`https://user:pass@host/…`), when it has them. */
export function registerUrlCredentials(url: string): void {
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]*)@/i.exec(url);
    if (!m) return;
    const colon = m[1].indexOf(":");
    if (colon < 0) registerSecret(m[1]);
    else {
        registerSecret(m[1].slice(0, colon));
        registerSecret(m[1].slice(colon + 1));
    }
}

/** `text` with URL credentials and every known credential value replaced by ***. */
export function redactCredentials(text: string): string {
    if (!environmentRead) readEnvironment();
    let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"`<>]+@/gi, "$1***@");
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join("***");
    return out;
}

function readEnvironment(): void {
    environmentRead = true;
    for (const [name, value] of Object.entries(process.env)) {
        if (value === undefined) continue;
        if (SECRET_NAME.test(name)) registerSecret(value);
        // Index URLs given in the environment may carry credentials in their user part.
        if (/^(PIP|UV)_/.test(name)) for (const url of value.split(/\s+/)) registerUrlCredentials(url.replace(/^[A-Za-z0-9_-]+=/, ""));
    }
}

function safeDecode(value: string): string {
    try {
        return decodeURIComponent(value);
    } catch {
        return value;
    }
}

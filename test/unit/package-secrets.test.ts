// lambda-package-secrets: credentials in the files an archive ships are found
// by shape, named by file and kind (never by value), and the well-known false
// positives stay quiet: AWS's documentation keys, placeholders, installed
// distributions' own files.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gatherFacts } from "../../policies/inspect";
import { secretsInText } from "../../policies/inspect/secrets";
import { zipFileSource } from "../../policies/inspect/source";
import { checkPackageSecrets } from "../../policies/rules/package-secrets";
import { craftZip, CraftEntry } from "../zip-crafter";

// Made up for the test, shaped like real ones (not AWS's documentation keys, which are allowed on purpose).
const KEY_ID = "AKIAZ7Q3WRTY5UIOP2LK";
const SECRET_KEY = "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";
/** A private key's body as PEM holds it (made up: base64 of nothing in particular, as long as a small key's). */
const KEY_BODY = `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7${"Qx3v".repeat(12)}`;

describe("credentials in an archive's files", () => {
    it("finds AWS keys however a config spells them, and other well-known formats", () => {
        const cases: [string, string[]][] = [
            [`{"aws_access_key_id": "${KEY_ID}", "aws_secret_access_key": "${SECRET_KEY}"}`, ["an AWS access key id", "an AWS secret access key"]],
            [`[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET_KEY}\n`, ["an AWS access key id", "an AWS secret access key"]],
            [`AWS_SECRET_ACCESS_KEY=${SECRET_KEY}\n`, ["an AWS secret access key"]],
            [`client = boto3.client("s3", aws_secret_access_key="${SECRET_KEY}")`, ["an AWS secret access key"]],
            [`"SecretAccessKey": "${SECRET_KEY}"`, ["an AWS secret access key"]],
            [`-----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY}\n${KEY_BODY}\n-----END RSA PRIVATE KEY-----\n`, ["a private key"]],
            // A service account's JSON, a Python string split over lines, an encrypted key with its headers, Ed25519.
            [JSON.stringify({ private_key: `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n` }), ["a private key"]],
            [`KEY = (\n    "-----BEGIN EC PRIVATE KEY-----\\n"\n    "${KEY_BODY.slice(0, 40)}\\n"\n    "${KEY_BODY.slice(40)}\\n"\n    "-----END EC PRIVATE KEY-----\\n"\n)`, ["a private key"]],
            [`-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,2AF25325A9B286F4\n\n${KEY_BODY}\n-----END RSA PRIVATE KEY-----`, ["a private key"]],
            ["-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n", ["a private key"]],
            [`token = "ghp_${"a1B2".repeat(9)}"`, ["a GitHub token"]],
            ["DATABASE_URL = 'postgresql://app:Xy7pQ2vR9@db.internal:5432/prod'", ["a password in a URL"]],
            ["--index-url https://alice:s3cr3t-PW@pypi.example.com/simple", ["a password in a URL"]],
        ];
        for (const [text, what] of cases) assert.deepEqual(secretsInText(text), what, text);
    });

    it("keeps quiet about AWS's documentation keys, placeholders and look-alikes", () => {
        const quiet = [
            // botocore's docs and the AWS CLI's examples
            'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
            "ASIAIOSFODNN7EXAMPLE",
            "postgresql://user:password@localhost/db",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment placeholder, as templates write it
            "https://user:${PASSWORD}@host/simple",
            "redis://:<password>@host:6379",
            "mysql://root:****@127.0.0.1/x",
            // a 40-character string not named as a secret key, a key id too short, an id inside a longer word
            `checksum = "${SECRET_KEY}"`,
            "AKIA1234",
            `XAKIAZ7Q3WRTY5UIOP2LKX`,
            "https://user@host/path",
            // Libraries and documentation naming a key without one (rsa, google-auth, cryptography, the AWS CLI's examples):
            // the marker alone, a regular expression, a placeholder, an elided key, a key marked EXAMPLE.
            'The contents of the file before the "-----BEGIN RSA PRIVATE KEY-----" and after the END line is ignored.',
            'b"-----BEGIN [A-Z ]*PRIVATE KEY-----.+?-----END [A-Z ]*PRIVATE KEY-----\\r?\\n?"',
            '"private_key": "-----BEGIN EC PRIVATE KEY-----\\n<key bytes>\\n-----END EC PRIVATE KEY-----\\n"',
            '"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIABAKCAQEAqKpRgnn6yq26U3yt5YFZquyukfRjbMXDcNOK4rMCxDR...fvY4+te\\n-----END RSA PRIVATE KEY-----\\n"',
            `"privateKey": "-----BEGIN RSA PRIVATE KEY-----EXAMPLE${KEY_BODY}\\n-----END RSA PRIVATE KEY-----"`,
            // A key id in a presigned URL's credential scope: public by design, its secret key is not there.
            "https://bucket.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA32P3D2JDNMVAJLGF%2F20190814%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Signature=91",
        ];
        for (const text of quiet) assert.deepEqual(secretsInText(text), [], text);
    });

    it("scans the archive's own files, not those an installed distribution lists in its RECORD, nor binaries", () => {
        const config = Buffer.from(`{"aws_access_key_id": "${KEY_ID}", "aws_secret_access_key": "${SECRET_KEY}"}\n`);
        const entries: CraftEntry[] = [
            { name: "app.py", data: Buffer.from("def handler(e, c): pass\n") },
            { name: "config.json", data: config },
            { name: "vendored/settings.py", data: Buffer.from(`KEY = "${KEY_ID}"\n`) },
            // An installed distribution's files, listed in its RECORD: the package author's.
            { name: "thirdparty/fixtures.json", data: config },
            { name: "thirdparty-1.0.dist-info/RECORD", data: Buffer.from("thirdparty/fixtures.json,sha256=x,10\nthirdparty-1.0.dist-info/RECORD,,\n") },
            { name: "thirdparty-1.0.dist-info/WHEEL", data: Buffer.from("Wheel-Version: 1.0\nTag: py3-none-any\n") },
            { name: "blob.bin", data: Buffer.concat([Buffer.from([0, 1, 2]), config]) },
        ];
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "secrets-")), "a.zip");
        fs.writeFileSync(file, craftZip(entries));
        const src = zipFileSource(file);
        const facts = gatherFacts(src);
        src.close();
        assert.deepEqual(facts.secrets, [
            { name: "config.json", what: ["an AWS access key id", "an AWS secret access key"] },
            { name: "vendored/settings.py", what: ["an AWS access key id"] },
        ]);
        const [finding] = checkPackageSecrets({ ...facts, label: "fn.zip" });
        assert.equal(finding.policy, "lambda-package-secrets");
        assert.equal(finding.level, "mandatory");
        assert.match(finding.message, /fn\.zip ships credentials in 2 files: config\.json \(an AWS access key id, an AWS secret access key\), vendored\/settings\.py \(an AWS access key id\)/);
        assert.ok(!finding.message.includes(KEY_ID) && !finding.message.includes(SECRET_KEY.slice(0, 8)));
        assert.deepEqual(checkPackageSecrets({ ...facts, label: "fn.zip" }, { allowFiles: ["config.json", "vendored/**"] }), []);
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });
});

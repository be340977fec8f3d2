// Credentials never reach what is printed: URL user parts, and every known
// credential value however it is spelled, are masked in UserError messages.
import { strict as assert } from "assert";
import { UserError } from "../../shared/errors";
import { redactCredentials, registerUrlCredentials } from "../../shared/redact";

describe("credential masking", () => {
    it("masks a URL's user part wherever a message carries it, and a registered password in any spelling", () => {
        registerUrlCredentials("https://alice:p%40ss-w0rd!@index.example/simple");
        const message = new UserError("index https://alice:p%40ss-w0rd!@index.example/simple failed: auth for alice with p@ss-w0rd! and p%40ss-w0rd! refused").message;
        assert.equal(message, "index https://***@index.example/simple failed: auth for alice with *** and *** refused");
        assert.equal(redactCredentials("git+https://TOKEN123456@github.com/org/repo"), "git+https://***@github.com/org/repo");
        assert.equal(redactCredentials("plain text, user@example.com"), "plain text, user@example.com");
    });
});

// The error a component fails with: its own sentence, starting with the
// component ("PythonFunction "api": …"), reported by Pulumi under the
// component without a stack trace and without anything before it.
//
// A component's build runs inside an Output (its inputs may be unknown until
// other resources resolve), so its error rejects every input derived from
// the build: the function's code, its sourceCodeHash, the component's
// registered outputs. The Node.js SDK prefixes the message of an error that
// rejects an input with `error serializing property "code": ` and rethrows
// the same object (rpc.js, serializeFilteredProperties), so one error passing
// through five properties reached the user behind five such prefixes. The
// property names say nothing a user can act on; the component's sentence
// names the resource, the file and the fix. So the message of a
// ComponentError is fixed: the SDK's assignment to it is ignored.
import * as pulumi from "@pulumi/pulumi";

export class ComponentError extends pulumi.ResourceError {
    constructor(message: string, resource: pulumi.Resource) {
        super(message, resource, true);
        Object.defineProperty(this, "message", {
            get: () => message,
            set: () => {},
            enumerable: false,
            configurable: true,
        });
        // The stack is not shown (hideStack), but tools that print it anyway (util.inspect) start with the sentence.
        this.stack = message;
    }
}

/** Errors for the component named `subject`, e.g. `PythonFunction "api"`. */
export function componentErrors(subject: string, resource: pulumi.Resource): (message: string) => ComponentError {
    return (message) => new ComponentError(`${subject}: ${message}`, resource);
}

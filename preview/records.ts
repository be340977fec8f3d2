// A resource registration as the engine receives it (a RegisterResourceRequest):
// type, name, URN, parent, the property Struct in wire form (archives and
// secrets with their signatures) and property dependencies. The offline
// preview records every one and feeds them to the policy pack; tests assert
// on them. No Pulumi SDK here: the program host loads this before the SDK.

export interface RecordedResource {
    type: string;
    name: string;
    urn: string;
    parent?: string;
    custom: boolean;
    /** Inputs in the engine's wire form. */
    wire: Record<string, unknown>;
    /** property -> URNs of the resources it depends on */
    propertyDependencies: Record<string, string[]>;
    dependencies: string[];
    /** Where the program registered it ("index.ts:12"), when known. */
    origin?: string;
}

/** The parts of a RegisterResourceRequest (the engine's protobuf) that a recording keeps. */
export interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getDependenciesList(): string[];
}

/** A registration as the engine receives it: wire-form inputs, parent, dependencies. */
export function recordOf(req: RegisterRequest, urn: string): RecordedResource {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
    return {
        type: req.getType(),
        name: req.getName(),
        urn,
        parent: req.getParent() || undefined,
        custom: req.getCustom(),
        wire: req.getObject()?.toJavaScript() ?? {},
        propertyDependencies,
        dependencies: req.getDependenciesList(),
    };
}

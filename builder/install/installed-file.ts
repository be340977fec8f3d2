// One file of an install, as its manifest.json lists it: what the install
// layer (index.ts) writes once an install is complete, and what the remote
// cache (../remote) packs and checks. Its own module so that the install
// layer, which calls the remote cache, and the remote cache, which stores
// installs, do not import each other.
export interface InstalledFile {
    rel: string;
    size: number;
    sha256: string;
    executable: boolean;
}

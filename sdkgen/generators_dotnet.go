//go:build dotnet

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	dotnetgen "github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// offline answers every HTTP request of the generator with an empty body, saying so on stderr. The .NET
// generator downloads the package logo (Pulumi's, from GitHub, when the schema has no logoUrl) for the
// NuGet package's icon; nothing else it generates comes from the network.
type offline struct{}

func (offline) RoundTrip(req *http.Request) (*http.Response, error) {
	fmt.Fprintf(os.Stderr, "sdkgen: not downloading %s for the .NET SDK (offline): logo.png is empty\n", req.URL)
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// The .NET generator left pkg/v3 in 2026 (deprecated and frozen in February, deleted in April) for the
// .NET language host's own repository, whose module the Go proxy here refuses; pkg/v3 v3.225.1 is the
// newest release served here that still has it. Built with go.dotnet.mod: see DESIGN.md.
func init() {
	generators["dotnet"] = func(pkg *schema.Package, _ schema.ReferenceLoader) (map[string][]byte, error) {
		http.DefaultTransport = offline{}
		return dotnetgen.GeneratePackage("pulumi-language-dotnet", pkg, nil, nil)
	}
}

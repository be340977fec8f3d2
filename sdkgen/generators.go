//go:build !dotnet

package main

import (
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// The arguments pulumi-language-python, -go and -nodejs pass for `pulumi package add`: no overlays, no
// local dependencies, a local Node.js SDK.
func init() {
	generators["python"] = func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return pythongen.GeneratePackage("pulumi-language-python", pkg, nil, loader)
	}
	generators["go"] = func(pkg *schema.Package, _ schema.ReferenceLoader) (map[string][]byte, error) {
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	}
	generators["nodejs"] = func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return nodejsgen.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, true, loader)
	}
}

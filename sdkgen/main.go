// Command sdkgen generates this package's SDKs for other Pulumi languages with Pulumi's own generators
// (pkg/v3/codegen/python, go and nodejs: the code the language hosts run for `pulumi package add`),
// from the package schema (provider/schema.json) and the schemas of the packages it refers to.
//
//	sdkgen -schema provider/schema.json -dependency sdkgen/aws-schema.json -out DIR [-language python,go,nodejs]
//
// writes DIR/python, DIR/go and DIR/nodejs. See DESIGN.md beside this file.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// specLoader serves the schemas named on the command line to the schema binder, in place of the plugin
// loader the CLI uses (which asks each package's provider plugin for its schema).
type specLoader struct {
	specs map[string]schema.PackageSpec
	bound map[string]*schema.Package
}

func (l *specLoader) load(name string, version *semver.Version) (*schema.Package, error) {
	spec, ok := l.specs[name]
	if !ok {
		return nil, fmt.Errorf("the schema refers to package %q, whose schema was not given (-dependency FILE)", name)
	}
	if version != nil && spec.Version != version.String() {
		return nil, fmt.Errorf("the schema refers to %s v%s, but the schema given for %s is v%s", name, version, name, spec.Version)
	}
	if pkg, ok := l.bound[name]; ok {
		return pkg, nil
	}
	pkg, diags, err := schema.BindSpec(spec, l, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("binding the schema of %s: %w", name, err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("binding the schema of %s: %w", name, diags)
	}
	l.bound[name] = pkg
	return pkg, nil
}

func (l *specLoader) LoadPackage(name string, version *semver.Version) (*schema.Package, error) {
	return l.load(name, version)
}

func (l *specLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.load(d.Name, d.Version)
}

func (l *specLoader) LoadPackageReference(name string, version *semver.Version) (schema.PackageReference, error) {
	pkg, err := l.load(name, version)
	if err != nil {
		return nil, err
	}
	return pkg.Reference(), nil
}

func (l *specLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

func readSpec(file string) (schema.PackageSpec, error) {
	var spec schema.PackageSpec
	data, err := os.ReadFile(file)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("%s is not a Pulumi package schema: %w", file, err)
	}
	return spec, nil
}

// bind binds a schema as the CLI and the language hosts do: dangling references allowed, errors fatal.
func bind(spec schema.PackageSpec, loader schema.ReferenceLoader) (*schema.Package, error) {
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return pkg, nil
}

// A generator as the language host's GeneratePackage calls it for `pulumi package add`; the ones this build
// has are in generators.go (python, go, nodejs) or, built with -tags dotnet, generators_dotnet.go.
type generator func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error)

var generators = map[string]generator{}

type dependencies []string

func (d *dependencies) String() string     { return strings.Join(*d, ",") }
func (d *dependencies) Set(v string) error { *d = append(*d, v); return nil }

func run() error {
	schemaFile := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "the folder to write <language>/ into")
	languages := flag.String("language", strings.Join(sortedKeys(generators), ","), "the languages to generate, comma-separated")
	var deps dependencies
	flag.Var(&deps, "dependency", "the schema of a package the schema refers to (repeatable)")
	flag.Parse()
	if *schemaFile == "" || *out == "" {
		return fmt.Errorf("usage: sdkgen -schema FILE -dependency FILE... -out DIR [-language python,go,nodejs]")
	}

	loader := &specLoader{specs: map[string]schema.PackageSpec{}, bound: map[string]*schema.Package{}}
	for _, file := range deps {
		spec, err := readSpec(file)
		if err != nil {
			return err
		}
		loader.specs[spec.Name] = spec
	}
	spec, err := readSpec(*schemaFile)
	if err != nil {
		return err
	}
	// As `pulumi package add` (packages.InstallPackage): bind, turn SupportPack on, and hand the
	// language host the bound package as JSON, which the host binds again.
	pkg, err := bind(spec, loader)
	if err != nil {
		return fmt.Errorf("%s: %w", *schemaFile, err)
	}
	pkg.SupportPack = true
	served, err := pkg.MarshalJSON()
	if err != nil {
		return err
	}

	for _, language := range strings.Split(*languages, ",") {
		var hostSpec schema.PackageSpec
		if err := json.Unmarshal(served, &hostSpec); err != nil {
			return err
		}
		hostPkg, err := bind(hostSpec, schema.NewCachedLoader(loader))
		if err != nil {
			return fmt.Errorf("%s (%s): %w", *schemaFile, language, err)
		}
		generate, ok := generators[language]
		if !ok {
			return fmt.Errorf("this build of sdkgen has no %s generator (it has %s)", language, strings.Join(sortedKeys(generators), ", "))
		}
		files, err := generate(hostPkg, schema.NewCachedLoader(loader))
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", language, err)
		}
		dir := filepath.Join(*out, language)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		names := sortedKeys(files)
		for _, name := range names {
			target := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(target, files[name], 0o644); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d files in %s\n", language, len(names), dir)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(2)
	}
}

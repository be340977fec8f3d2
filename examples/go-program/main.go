// PythonFunction and PythonLayer from a Go Pulumi program: the same function and layer as
// examples/python-program, through the Go SDK `pulumi package add ../..` generates from the package's
// schema into sdks/lambda-python (go.mod's replace points the module there). Paths are relative to
// this folder (the plugin runs with it as working directory): the function's code and the layer's
// requirements are examples/python-program's.
package main

import (
	"example.com/pulumi-lambda-python/sdk/go/lambdapython"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		arm64 := lambdapython.ArchitectureArm64

		// Flask for Python 3.13 on Graviton, as a layer.
		flask, err := lambdapython.NewPythonLayer(ctx, "flask", &lambdapython.PythonLayerArgs{
			Requirements: pulumi.String("../python-program/layer/requirements.txt"),
			Runtimes:     []pulumi.StringInput{pulumi.String("python3.13")},
			Architecture: &arm64,
			Description:  pulumi.String("Flask for Python 3.13 (arm64)"),
		})
		if err != nil {
			return err
		}

		// The function: its code, the layer (checked against it at preview), and a public URL.
		hello, err := lambdapython.NewPythonFunction(ctx, "hello", &lambdapython.PythonFunctionArgs{
			Source:       pulumi.String("../python-program/app"),
			Handler:      pulumi.String("lambda_function.lambda_handler"),
			Runtime:      pulumi.String("python3.13"),
			Architecture: arm64,
			Layers:       []pulumi.Input{flask},
			Url:          &lambdapython.PythonFunctionUrlArgs{AuthType: lambdapython.FunctionUrlAuthTypeNone},
			MemorySize:   pulumi.Float64(256),
			Timeout:      pulumi.Float64(10),
			Environment:  pulumi.StringMap{"GREETING": pulumi.String("Hello from Go")},
			Build:        &lambdapython.BuildSettingsArgs{Exclude: []string{"tests/**"}},
		})
		if err != nil {
			return err
		}

		ctx.Export("url", hello.Url)
		ctx.Export("function_arn", hello.Arn)
		ctx.Export("layer_arn", flask.Arn)
		return nil
	})
}

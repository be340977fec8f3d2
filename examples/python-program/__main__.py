"""PythonFunction and PythonLayer from a Python Pulumi program.

The components are the TypeScript ones, served by the package's plugin
(PulumiPlugin.yaml at the repository root); this program uses the Python SDK
that `pulumi package add ../..` generates from the package's schema. Paths
are relative to this folder: the plugin runs with it as working directory.
"""
import pulumi
import pulumi_lambda_python as lambda_python

# Flask for Python 3.13 on Graviton, as a layer.
flask = lambda_python.PythonLayer(
    "flask",
    requirements="layer/requirements.txt",
    runtimes=["python3.13"],
    architecture=lambda_python.Architecture.ARM64,
    description="Flask for Python 3.13 (arm64)",
)

# The function: its code from app/, the layer (checked against it at preview), and a public URL.
hello = lambda_python.PythonFunction(
    "hello",
    source="app",
    handler="lambda_function.lambda_handler",
    runtime="python3.13",
    architecture=lambda_python.Architecture.ARM64,
    layers=[flask],
    url=lambda_python.PythonFunctionUrlArgs(auth_type=lambda_python.FunctionUrlAuthType.NONE),
    memory_size=256,
    timeout=10,
    environment={"GREETING": "Hello from Python"},
    build=lambda_python.BuildSettingsArgs(exclude=["tests/**"]),
)

pulumi.export("url", hello.url)
pulumi.export("function_arn", hello.arn)
pulumi.export("layer_arn", flask.arn)

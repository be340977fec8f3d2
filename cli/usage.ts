// Each command's usage line, kept apart from the commands so that `main`
// can print them all without loading any command. A line lists every option
// of the command's --help, or ends with [option]... when there are more
// (test/usage-docs.test.ts; the README shows each line as its synopsis).
export const buildUsage = "lambda-python build <source-dir> [--requirements FILE] [--runtime python3.X] [--arch x86_64|arm64] [--kind function|layer] [--out FILE] [--slim] [--json] [option]...";
export const inspectUsage = "lambda-python inspect <zip> [--runtime RUNTIME] [--arch x86_64|arm64] [--kind function|layer] [--handler mod.fn] [--now YYYY-MM-DD] [--json]";
export const previewUsage =
    "lambda-python preview [program-dir] [--stack NAME] [--config key=value]... [--invoke-result TOKEN=FILE]... [--stack-outputs NAME=FILE]... [--policy-config FILE] [--invoke] [--profile-init] [--json] [--quiet] [--remote-cache s3://BUCKET/PREFIX]";
export const invokeUsage =
    "lambda-python invoke <function.zip|source-dir> [--layer ZIP]... [--handler m.f] [--runtime python3.X] [--arch x86_64|arm64] [--event FILE|-] [--timeout S] [--memory MB] [--env K=V]... [--name NAME] [--debug-port N] [--profile-init] [--json] [--quiet]";
export const setupUsage = "lambda-python setup [--runtime python3.X]... [--arch x86_64|arm64]... [--all] [--no-runner] [--progress-only] [--quiet]";
export const serveUsage =
    "lambda-python serve <function.zip|source-dir|program-dir> [--port N] [--host ADDR] [--layer ZIP]... [--handler m.f] [--runtime python3.X] [--arch x86_64|arm64] [--timeout S] [--memory MB] [--env K=V]... [--api url|http|rest] [--print-events] [--watch] [--debug-port N] [--profile-init] [--quiet]";
export const eventUsage =
    'lambda-python event <url|http|rest|s3|sqs|sns|eventbridge|dynamodb|schedule> [--method M] [--path /P] [--query Q] [--header "Name: value"]... [--body TEXT] [--content-type T] [--bucket B] [--key K] [--queue Q] [--topic T] [--subject S] [--message M] [--source S] [--detail-type T] [--detail JSON] [--table T] [--rule R] [--region R] [--account ID] [--out FILE]';

// Each command's usage line, kept apart from the commands so that `main`
// can print them all without loading any command.
export const buildUsage = "lambda-python build <source-dir> [--requirements FILE] [--runtime python3.X] [--arch x86_64|arm64] [--kind function|layer] [--out FILE] [--json]";
export const inspectUsage = "lambda-python inspect <zip> [--runtime RUNTIME] [--arch x86_64|arm64] [--kind function|layer] [--handler mod.fn] [--now YYYY-MM-DD] [--json]";
export const previewUsage = "lambda-python preview [program-dir] [--stack NAME] [--config key=value]... [--invoke-result TOKEN=FILE]... [--stack-outputs NAME=FILE]... [--invoke] [--json] [--quiet]";
export const invokeUsage = "lambda-python invoke <function.zip|source-dir> [--layer ZIP]... [--handler m.f] [--runtime python3.X] [--arch x86_64|arm64] [--event FILE|-] [--timeout S] [--memory MB] [--env K=V]... [--json] [--debug-port N]";
export const setupUsage = "lambda-python setup [--runtime python3.X]... [--arch x86_64|arm64]... [--all] [--quiet]";
export const serveUsage =
    "lambda-python serve <function.zip|source-dir|program-dir> [--port N] [--host ADDR] [--layer ZIP]... [--handler m.f] [--runtime python3.X] [--arch x86_64|arm64] [--timeout S] [--memory MB] [--env K=V]... [--api url|http|rest] [--print-events] [--watch] [--debug-port N]";
export const eventUsage = "lambda-python event <url|http|rest|s3|sqs|sns|eventbridge|dynamodb|schedule> [--method M] [--path /P] [--body TEXT] [--bucket B] [--key K] [...] [--out FILE]";

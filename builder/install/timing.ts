// With LAMBDA_PYTHON_TIMING set, how long each step of an install took
// (printed indented under the build's "dependencies" phase, for profiling).
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    if (!process.env.LAMBDA_PYTHON_TIMING) return work();
    const start = process.hrtime.bigint();
    try {
        return await work();
    } finally {
        process.stderr.write(`timing:   ${step} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms\n`);
    }
}

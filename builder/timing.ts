// With LAMBDA_PYTHON_TIMING set, how long each phase of a build took and the
// resident memory after it (phaseTimer), and how long each step within a phase
// took (timed: an install's steps, the remote cache's requests), printed
// indented under the phase. For profiling; nothing is printed otherwise.
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    if (!process.env.LAMBDA_PYTHON_TIMING) return work();
    const start = process.hrtime.bigint();
    try {
        return await work();
    } finally {
        process.stderr.write(`timing:   ${step} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms\n`);
    }
}

/** Prints how long each phase of a build took and the resident memory after it (for profiling). */
export function phaseTimer(): (phase: string) => void {
    if (!process.env.LAMBDA_PYTHON_TIMING) return () => {};
    let last = process.hrtime.bigint();
    let lastCpu = process.threadCpuUsage();
    return (phase) => {
        const now = process.hrtime.bigint();
        const cpu = process.threadCpuUsage(lastCpu);
        process.stderr.write(`timing: ${phase} ${(Number(now - last) / 1e6).toFixed(1)} ms, this thread's CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms (rss ${(process.memoryUsage.rss() / 1048576).toFixed(0)} MB)\n`);
        last = now;
        lastCpu = process.threadCpuUsage();
    };
}

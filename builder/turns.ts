// A bound on how many of one process's builds do a thing at once (write
// archives, run installers). A turn is only ever held by a build that waits
// for no other build meanwhile, so the builds waiting for a turn always get one.
export class Turns {
    private running = 0;
    private readonly queue: (() => void)[] = [];
    constructor(private readonly limit: number) {}

    async acquire(): Promise<() => void> {
        if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
        else this.running++;
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.queue.shift();
            if (next)
                next(); // the turn passes on: running stays the same
            else this.running--;
        };
    }
}

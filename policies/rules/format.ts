// Sizes and lists as people read them in messages.

/** "61.2 MB (64,172,134 bytes)"; MB here is 2^20 bytes, as in AWS's limits. */
export function formatBytes(bytes: number): string {
    return `${formatMB(bytes)} (${withCommas(bytes)} bytes)`;
}

/** "64,172,134": as toLocaleString("en-US") writes it, without loading ICU's number formats (~12 ms per process). */
export function withCommas(n: number): string {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "61.2 MB", "26.2 KB", "150 B". */
export function formatMB(bytes: number): string {
    const round = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${round(bytes / 1024)} KB`;
    return `${round(bytes / (1024 * 1024))} MB`;
}

/** "a, b, c and 4 more" */
export function listSome(items: string[], max = 3): string {
    if (items.length <= max) return items.join(", ");
    return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

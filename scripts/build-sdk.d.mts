export function rewriteRelativeTsSpecifiers(text: string): string;

/**
 * Builds groupgraph/client into outDir (default <root>/dist/sdk): ESM and
 * CommonJS JavaScript plus declarations. `built: false` with a reason when the
 * dev dependencies it needs are missing.
 */
export function buildSdk(options: { root: string; outDir?: string }): Promise<{ built: boolean; reason?: string }>;

// Temporary, removed at merge: aggregation.ts and eventFilter.ts still import limits.ts.
export * from './validation.ts';

#!/usr/bin/env node
// Runs the bundle `npm install` builds (dist/, see scripts/build.mjs) while it
// is newer than every source file; otherwise the TypeScript sources through
// tsx, compiled on the fly, so an edit takes effect without a build step.
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

import { bundleIsCurrent } from './bundle.js';

// A small footprint by default: V8 otherwise lets the heap grow to hundreds of
// MB of garbage before collecting on a machine with a lot of memory. This flag
// is read as the heap grows, so it works even when set at run time (heap size
// flags would not). Anyone who sizes the heap on the command line or in
// NODE_OPTIONS keeps their choice.
const heapFlags = /--(max-old-space-size|max-semi-space-size|optimize-for-size)\b/;
if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => heapFlags.test(arg))) {
  v8.setFlagsFromString('--optimize-for-size');
}

const bundle = new URL('../dist/cli/main.js', import.meta.url);
if (bundleIsCurrent(fileURLToPath(bundle), fileURLToPath(new URL('../src', import.meta.url)))) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

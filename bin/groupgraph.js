#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on the fly (cached), so the
// command works straight after `npm install` with no build step.
import v8 from 'node:v8';

import { register } from 'tsx/esm/api';

// A small footprint by default: V8 otherwise lets the heap grow to hundreds of
// MB of garbage before collecting on a machine with a lot of memory. This flag
// is read as the heap grows, so it works even when set at run time (heap size
// flags would not). Anyone who sizes the heap on the command line or in
// NODE_OPTIONS keeps their choice.
const heapFlags = /--(max-old-space-size|max-semi-space-size|optimize-for-size)\b/;
if (![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => heapFlags.test(arg))) {
  v8.setFlagsFromString('--optimize-for-size');
}

register();
await import('../src/cli/main.ts');

#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on the fly (cached), so the
// command works straight after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

#!/usr/bin/env node
import { main } from './cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Servers and timers are closed by now; exit even if a library left a handle open.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`toolscope: ${String(error)}\n`);
    process.exit(1);
  },
);

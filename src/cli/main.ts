#!/usr/bin/env node
// Entry point of the `gatehouse` binary (package.json "bin" → dist/cli/main.js).
import { processIo, runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());

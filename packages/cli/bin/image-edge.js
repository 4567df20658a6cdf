#!/usr/bin/env node
// The `image-edge` command: runs the bundle that `npm run build` (or `npm install` in the
// repository, through its prepare script) writes to ../dist.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv);

#!/usr/bin/env node
import pkg from '../../package.json' with { type: 'json' }
import { runPlugin } from '../../shared/cli/run.ts'
import { BROKEN_PIPE_EXIT } from '../../shared/errors.ts'
import { mrunRoot } from './root.ts'

// No top-level await: the bundle is CommonJS, where Node built-ins load only when the module needing them runs.
void runPlugin(mrunRoot, { name: 'kubectl mrun', version: pkg.version }).then((code) => {
  // A broken pipe met after the run ended has already set 141; keep it.
  process.exitCode = process.exitCode === BROKEN_PIPE_EXIT ? BROKEN_PIPE_EXIT : code
})

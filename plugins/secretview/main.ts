#!/usr/bin/env node
import pkg from '../../package.json' with { type: 'json' }
import { runPlugin } from '../../shared/cli/run.ts'
import { secretviewRoot } from './root.ts'

process.exitCode = await runPlugin(secretviewRoot, { name: 'kubectl secretview', version: pkg.version })

#!/usr/bin/env node
import pkg from '../../package.json' with { type: 'json' }
import { runPlugin } from '../../shared/cli/run.ts'
import { aeSessionsRoot } from './root.ts'

process.exitCode = await runPlugin(aeSessionsRoot, { name: 'kubectl ae-sessions', version: pkg.version })

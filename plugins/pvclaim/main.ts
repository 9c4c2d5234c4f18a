#!/usr/bin/env node
import pkg from '../../package.json' with { type: 'json' }
import { runPlugin } from '../../shared/cli/run.ts'
import { pvclaimRoot } from './root.ts'

process.exitCode = await runPlugin(pvclaimRoot, { name: 'kubectl pvclaim', version: pkg.version })

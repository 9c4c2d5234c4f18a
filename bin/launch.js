'use strict'
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')

/** The oldest Node that runs the TypeScript entries directly (type stripping), from package.json's engines. */
function minimum() {
  const range = require('../package.json').engines.node
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(range)
  return match === null ? [22, 19, 0] : match.slice(1).map(Number)
}

function older(version, than) {
  for (let i = 0; i < 3; i++) if (version[i] !== than[i]) return version[i] < than[i]
  return false
}

/** Checks the Node version, then runs plugins/<plugin>/main.ts in this process. */
function launch(plugin) {
  const need = minimum()
  const have = process.versions.node.split('.').map(Number)
  if (older(have, need)) {
    process.stderr.write(
      `error: kubectl ${plugin} needs Node.js ${need.join('.')} or newer to run from source, this is ${process.versions.node}; install it from https://nodejs.org (or: nvm install 24), or use the release binaries, which bring their own Node\n`,
    )
    process.exitCode = 1
    return
  }
  // Node's compile cache keeps the type-stripped, compiled modules on disk (in the OS temp folder): a source run
  // otherwise strips every .ts file again through a WebAssembly compiler, which was ~0.3 s of CPU and ~30 MB of
  // RSS of every start. A cache that cannot be written is skipped by Node itself.
  require('node:module').enableCompileCache?.()
  import(pathToFileURL(join(__dirname, '..', 'plugins', plugin, 'main.ts')).href).catch((error) => {
    process.stderr.write(`error: cannot start kubectl ${plugin}: ${error?.message}\n`)
    process.exitCode = 1
  })
}

module.exports = { launch }

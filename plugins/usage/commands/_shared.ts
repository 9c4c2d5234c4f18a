import type { SuiteArgsDef } from '../../../shared/cli/args.ts'

/** Flags both usage commands take. */
export const usageArgs = {
  resources: {
    type: 'string',
    description: 'Resources to show, e.g. cpu,memory,nvidia.com/gpu (aliases mem, gpu, eph)',
    choices: ['cpu', 'memory', 'gpu', 'ephemeral-storage', 'cpu,memory', 'cpu,memory,gpu'],
  },
  'sort-by': {
    type: 'string',
    description: 'Sort by a column: name, pods, cpu.req, mem.use%, gpu.req … (+ ascending, - descending)',
  },
  top: { type: 'string', description: 'Show only the first N rows after sorting' },
  util: {
    type: 'boolean',
    default: true,
    negatable: true,
    description: 'Read live usage from the metrics API (--util=false or --no-util to skip)',
  },
  'no-metrics': {
    type: 'boolean',
    description: 'Same as --util=false: do not read the metrics API (usage columns show -)',
  },
  'show-labels': { type: 'boolean', description: 'Show labels as the last column' },
  'chunk-size': { type: 'string', description: 'Objects per page when listing (default 500, as kubectl)' },
} as const satisfies SuiteArgsDef

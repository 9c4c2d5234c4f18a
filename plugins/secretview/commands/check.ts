import { kubeArgs, namespaceArgs, selectorArgs } from '../../../shared/cli/args.ts'
import { defineSuiteCommand } from '../../../shared/cli/run.ts'
import { SuiteError } from '../../../shared/errors.ts'
import { printsDocument, printView } from '../../../shared/output/index.ts'
import { checkSecrets, podSecretReferences, serviceAccountSecretReferences } from '../check-model.ts'
import { listConsumers, listSecrets } from '../collect.ts'
import { analyzeSecret } from '../model.ts'
import { renderFindings } from '../render.ts'
import { parseDays, secretOutputArg, templateOutput } from './_shared.ts'

const FORMATS = ['json', 'yaml', 'name', 'wide'] as const

export default defineSuiteCommand({
  meta: {
    examples: [
      [
        'Certificates and tokens expiring within 30 days, and unused secrets',
        'kubectl secretview check -n ml-team --within 30d',
      ],
      ['The same across every namespace', 'kubectl secretview check -A'],
    ],
    name: 'check',
    description:
      'Certificates and tokens expiring soon, empty values, unreadable values, secrets pods need but lack, secrets nothing uses; exits 10 when something is found',
  },
  args: {
    within: { type: 'string', description: 'Report certificates and tokens expiring within this time (default 30d)' },
    ...selectorArgs,
    ...namespaceArgs,
    ...secretOutputArg(FORMATS),
    ...kubeArgs,
  },
  run: async ({ args, io, kube, signal }) => {
    const withinDays = parseDays(args.within ?? '30d')
    const cluster = await kube()
    const everywhere = args.allNamespaces === true
    const namespace = everywhere ? undefined : (args.namespace ?? cluster.namespace)
    const [secrets, consumers] = await Promise.all([
      listSecrets(cluster, { namespace, labelSelector: args.selector, fieldSelector: args.fieldSelector, signal }),
      listConsumers(cluster, namespace, signal),
    ])
    const now = io.now()
    const views = secrets.map((s) => analyzeSecret(s, now))
    const references = [
      ...consumers.pods.flatMap(podSecretReferences),
      ...consumers.serviceAccounts.flatMap(serviceAccountSecretReferences),
    ]
    // With -l (or --field-selector) only some secrets are checked: one outside the selection is not "missing".
    const known =
      args.selector === undefined && args.fieldSelector === undefined
        ? references
        : references.filter((r) => views.some((v) => v.namespace === r.namespace && v.name === r.secret))
    const findings = checkSecrets(views, known, { withinDays })
    const format =
      templateOutput(args.output, FORMATS) ??
      (args.output === 'name'
        ? 'name'
        : args.output === 'wide'
          ? 'wide'
          : args.output === 'json'
            ? 'json'
            : args.output === 'yaml'
              ? 'yaml'
              : 'table')
    if (findings.length === 0) {
      if (printsDocument(format)) printView(io, renderFindings([], { showNamespace: everywhere }), format)
      io.err.write(
        `checked ${views.length} secret${views.length === 1 ? '' : 's'}${namespace === undefined ? ' in all namespaces' : ` in namespace ${namespace}`}: nothing found\n`,
      )
      return
    }
    printView(io, renderFindings(findings, { showNamespace: everywhere }), format, {
      noHeaders: args.noHeaders === true,
    })
    const kinds = [...new Set(findings.map((f) => f.kind))].join(', ')
    throw new SuiteError(
      'found',
      `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${views.length} secrets (${kinds})`,
      {
        hint: 'fix or renew what is listed; the exit code stays non-zero until then',
      },
    )
  },
})

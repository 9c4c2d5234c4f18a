import * as v from 'valibot'
import { suggestName } from '../../shared/cli/parse.ts'
import { isDnsSubdomain } from '../../shared/names.ts'
import { isValidQuantity } from '../../shared/quantity.ts'
import { BUILDERS, type MrunContext, RESOURCE_KEYS, resourceProblem } from './model.ts'

/**
 * The profiles file's schema: every field with its type and rule, checked on every read, so a typo or a wrong type
 * is one line naming the field, never a run in the wrong place (`lab: 5` used to run in `default` with a 40Gi claim;
 * `tolerations: abc` became [a,b,c]; `namespace: 5` crashed). Pure: no I/O.
 *
 * valibot (not a hand-written validator, not zod): zero dependencies and tree-shaken to the few checks used here, so
 * the single-file binaries stay small; safeParse reports every issue with its path, which is what one error per bad
 * field needs.
 */

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany'] as const
export type AccessMode = (typeof ACCESS_MODES)[number]

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

const shown = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  return String(value)
}

/** A string field; `what` says what it holds ("a namespace name"). */
const text = (what: string) => v.string((issue) => `must be ${what}, not ${shown(issue.input)}`)

const nonEmpty = (what: string) =>
  v.pipe(
    text(what),
    v.check((s) => s.trim() !== '', `must be ${what}, not empty`),
  )

/** YAML reads `cpu: 4` as a number: a quantity may be written either way and is kept as text. */
const quantityText = (what: string) =>
  v.pipe(
    v.union([v.string(), v.number()], (issue) => `must be ${what}, not ${shown(issue.input)}`),
    v.transform((value) => String(value)),
  )

const resourcesSchema = v.pipe(
  v.strictObject(
    {
      cpu: v.optional(quantityText('a CPU quantity such as 4 or 500m')),
      mem: v.optional(quantityText('a memory quantity such as 8Gi')),
      gpu: v.optional(quantityText('a whole number of GPUs')),
      tpu: v.optional(quantityText('a whole number of TPU chips')),
    },
    (issue) =>
      issue.expected === 'never'
        ? `has no setting ${shown(issue.input)}; use ${RESOURCE_KEYS.join(', ')}`
        : `must be a mapping such as {cpu: "4", mem: 8Gi}, not ${shown(issue.input)}`,
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    // One line per bad value: resourceProblem stops at the first.
    for (const [key, value] of Object.entries(dataset.value)) {
      const problem = resourceProblem({ [key]: value })
      if (problem !== undefined) addIssue({ message: problem.replace(/^--(\w+) /, '$1 ') })
    }
  }),
)

const limitsSchema = v.pipe(
  v.strictObject(
    {
      cpu: v.optional(quantityText('a CPU quantity such as 4 or 500m')),
      mem: v.optional(quantityText('a memory quantity such as 8Gi')),
    },
    (issue) =>
      issue.expected === 'never'
        ? `has no setting ${shown(issue.input)}; limits are cpu and mem (GPUs and TPUs are whole devices)`
        : `must be a mapping such as {cpu: "8", mem: 16Gi}, not ${shown(issue.input)}`,
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return
    // One line per bad value: resourceProblem stops at the first.
    for (const [key, value] of Object.entries(dataset.value)) {
      const problem = resourceProblem({ [key]: value })
      if (problem !== undefined) addIssue({ message: problem.replace(/^--(\w+) /, '$1 ') })
    }
  }),
)

const scalarText = v.pipe(
  v.union([v.string(), v.number(), v.boolean()], (issue) => `must be a text value, not ${shown(issue.input)}`),
  v.transform((value) => String(value)),
)

const tolerationSchema = v.strictObject(
  {
    key: v.optional(text('a taint key')),
    operator: v.optional(v.picklist(['Exists', 'Equal'], (i) => `must be Exists or Equal, not ${shown(i.input)}`)),
    value: v.optional(scalarText),
    effect: v.optional(
      v.picklist(
        ['NoSchedule', 'PreferNoSchedule', 'NoExecute'],
        (i) => `must be NoSchedule, PreferNoSchedule or NoExecute, not ${shown(i.input)}`,
      ),
    ),
    tolerationSeconds: v.optional(
      v.pipe(
        v.number((i) => `must be a number, not ${shown(i.input)}`),
        v.integer(),
      ),
    ),
  },
  (issue) =>
    issue.expected === 'never'
      ? `has no field ${shown(issue.input)}; a toleration has key, operator, value, effect, tolerationSeconds`
      : `must be a toleration such as {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}, not ${shown(issue.input)}`,
)

/** The settings of one profile, snake_case as in mrunner's contexts (and this file before profiles). */
export const PROFILE_FIELDS = {
  kube_context: v.optional(nonEmpty('a kubeconfig context name')),
  namespace: v.optional(
    v.pipe(
      text('a namespace name'),
      v.check(
        (s) => DNS_LABEL.test(s),
        (i) => `must be a namespace name (lower-case letters, digits and -, 63 at most), not ${shown(i.input)}`,
      ),
    ),
  ),
  storage_dir: v.optional(
    v.pipe(
      text('an absolute path'),
      v.check(
        (s) => s.startsWith('/'),
        (i) => `must be an absolute path such as /storage, not ${shown(i.input)}`,
      ),
    ),
  ),
  storage_size: v.optional(
    v.pipe(
      quantityText('a size such as 40Gi'),
      v.check(
        (s) => isValidQuantity(s) && !s.trim().startsWith('-'),
        (i) => `must be a size such as 40Gi, not ${shown(i.input)}`,
      ),
    ),
  ),
  storage_class: v.optional(
    v.pipe(
      text('a StorageClass name'),
      v.check(isDnsSubdomain, (i) => `must be a StorageClass name, not ${shown(i.input)}`),
    ),
  ),
  storage_access_mode: v.optional(
    v.picklist(ACCESS_MODES, (i) => `must be ReadWriteOnce or ReadWriteMany, not ${shown(i.input)}`),
  ),
  registry: v.optional(nonEmpty('a registry and repository prefix such as ghcr.io/team')),
  builder: v.optional(v.picklist(BUILDERS, (i) => `must be one of ${BUILDERS.join(', ')}, not ${shown(i.input)}`)),
  kaniko_image: v.optional(nonEmpty('an image reference')),
  resources: v.optional(resourcesSchema),
  limits: v.optional(limitsSchema),
  node_selector: v.optional(
    v.record(text('a label key'), scalarText, (i) => `must be a mapping of label: value, not ${shown(i.input)}`),
  ),
  tolerations: v.optional(v.array(tolerationSchema, (i) => `must be a list of tolerations, not ${shown(i.input)}`)),
  image_pull_secret: v.optional(
    v.pipe(
      text('a Secret name'),
      v.check(isDnsSubdomain, (i) => `must be a Secret name, not ${shown(i.input)}`),
    ),
  ),
  registry_auth_file: v.optional(nonEmpty('the path of a docker config.json')),
  tpu_accelerator: v.optional(nonEmpty('a TPU accelerator type such as tpu-v5-lite-podslice')),
  tpu_topology: v.optional(nonEmpty('a TPU topology such as 2x4')),
  neptune: v.optional(
    v.strictObject({ project: v.optional(nonEmpty('a Neptune project such as org/project')) }, (i) =>
      i.expected === 'never'
        ? `has no setting ${shown(i.input)}; neptune has project`
        : `must be a mapping such as {project: org/project}, not ${shown(i.input)}`,
    ),
  ),
}

const profileSchema = v.object(PROFILE_FIELDS, (i) => `must be a mapping of settings, not ${shown(i.input)}`)

export type MrunProfile = v.InferOutput<typeof profileSchema>
// What the schema lets through is what the commands read (model.ts's MrunContext): a field added to one and not the
// other fails the type check here.
const _fits = (profile: MrunProfile): MrunContext => profile
const _covers = (keys: Record<keyof MrunContext, unknown>): Record<keyof MrunProfile, unknown> => keys
void _fits
void _covers

export interface ProfilesFile {
  current_profile?: string
  profiles: Record<string, MrunContext>
}

const fileSchema = v.strictObject(
  {
    current_profile: v.optional(nonEmpty('a profile name')),
    profiles: v.optional(
      v.record(
        v.string(),
        profileSchema,
        (i) => `must be a mapping of profile names to settings, not ${shown(i.input)}`,
      ),
      {},
    ),
  },
  (i) =>
    i.expected === 'never'
      ? `is not a setting of this file (it has current_profile and profiles)`
      : `must be a mapping with current_profile and profiles, not ${shown(i.input)}`,
)

/** One bad field: where (profiles.lab.namespace) and what is wrong with it. */
export interface SchemaProblem {
  path: string
  message: string
}

/**
 * The profiles file's content, or every problem in it: one per bad field, unknown fields included (a misspelt
 * `namspace` would otherwise be ignored and the run would go to the default namespace).
 */
export function parseProfiles(data: unknown): { file: ProfilesFile } | { problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = []
  if (data === null || data === undefined) return { file: { profiles: {} } }
  if (typeof data === 'object' && !Array.isArray(data)) {
    const top = data as Record<string, unknown>
    for (const key of Object.keys(top))
      if (key !== 'current_profile' && key !== 'profiles')
        problems.push({ path: key, message: 'is not a setting of this file (it has current_profile and profiles)' })
    const profiles = top.profiles
    if (profiles !== null && typeof profiles === 'object' && !Array.isArray(profiles))
      for (const [name, profile] of Object.entries(profiles as Record<string, unknown>)) {
        if (profile === null || typeof profile !== 'object' || Array.isArray(profile)) continue
        for (const key of Object.keys(profile))
          if (!(key in PROFILE_FIELDS))
            problems.push({
              path: `profiles.${name}.${key}`,
              message: `is not a profile setting${closest(key)}`,
            })
      }
  }
  const result = v.safeParse(fileSchema, data)
  if (!result.success)
    for (const issue of result.issues) {
      const path = (issue.path ?? []).map((p) => String(p.key)).join('.')
      if (issue.expected === 'never' && path.split('.').length <= 1) continue // reported above, every key
      problems.push({ path: path === '' ? '(top)' : path, message: issue.message })
    }
  if (problems.length > 0) return { problems }
  const file = (result as { output: ProfilesFile }).output
  const { current_profile, profiles } = file
  if (current_profile !== undefined && profiles[current_profile] === undefined)
    return {
      problems: [{ path: 'current_profile', message: `names profile "${current_profile}", which is not defined` }],
    }
  return { file: { ...(current_profile === undefined ? {} : { current_profile }), profiles } }
}

/** `; did you mean namespace?` for a field close to a real one (the flags' rule, shared/cli/parse.ts). */
function closest(key: string): string {
  const best = suggestName(key, Object.keys(PROFILE_FIELDS))
  return best === undefined ? '' : `; did you mean ${best}?`
}

/** One profile's settings checked on their own (profile add builds one from flags). */
export function profileProblems(name: string, profile: unknown): SchemaProblem[] {
  const result = parseProfiles({ profiles: { [name]: profile } })
  return 'problems' in result ? result.problems : []
}

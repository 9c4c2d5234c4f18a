import type { View } from '../../shared/output/index.ts'
import { DEFAULT_STORAGE_DIR } from './model.ts'
import type { ProfilesFile } from './profiles-schema.ts'

/** `profile list`: one row per profile, * on the current one; json/yaml print the file's content as it is. */
export function renderProfiles(file: ProfilesFile): View {
  const names = Object.keys(file.profiles).sort()
  const rows = names.map((name) => {
    const p = file.profiles[name] ?? {}
    const resources = Object.entries(p.resources ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(',')
    return [
      name === file.current_profile ? '*' : '',
      name,
      p.kube_context ?? '<current>',
      p.namespace ?? '<kube default>',
      p.registry ?? '<none>',
      p.builder ?? 'docker',
      p.storage_dir ?? DEFAULT_STORAGE_DIR,
      p.storage_access_mode ?? '<default>',
      resources === '' ? '<default>' : resources,
    ]
  })
  return {
    table: {
      columns: [
        { header: 'CURRENT' },
        { header: 'NAME' },
        { header: 'KUBE-CONTEXT' },
        { header: 'NAMESPACE' },
        { header: 'REGISTRY' },
        { header: 'BUILDER' },
        { header: 'STORAGE', wideOnly: true },
        { header: 'ACCESS-MODE', wideOnly: true },
        { header: 'RESOURCES', wideOnly: true },
      ],
      rows,
    },
    document: {
      ...(file.current_profile === undefined ? {} : { current_profile: file.current_profile }),
      profiles: file.profiles,
    },
    names: names.map((name) => `profile/${name}`),
  }
}

/**
 * metav1.Status answers, worded as kube-apiserver words them, so clients (ours and the real kubectl) see
 * exactly what a real cluster would send.
 */
export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, unknown>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number }
  code: number
}

export class StatusError extends Error {
  readonly code: number
  readonly body: StatusBody

  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message)
    this.code = code
    this.body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
    if (details !== undefined) this.body.details = details
  }
}

export const notFound = (plural: string, group: string, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, {
    name,
    group,
    kind: plural,
  })

export const alreadyExists = (plural: string, group: string, name: string): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  })

export const conflict = (plural: string, group: string, name: string): StatusError =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: plural },
  )

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message)

export const methodNotAllowed = (): StatusError =>
  new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')

export const notFoundPath = (): StatusError =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource')

/** 422 with field causes, like a failed validation of a create or update. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ')
  return new StatusError(422, 'Invalid', `${kind}${group === '' ? '' : `.${group}`} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  })
}

export function qualified(plural: string, group: string): string {
  return group === '' ? plural : `${plural}.${group}`
}

export const expired = (message: string): StatusError => new StatusError(410, 'Expired', message)

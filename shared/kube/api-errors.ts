import { SuiteError } from '../errors.ts'

/**
 * Turns what the API server (or the network) said into one SuiteError line that names the cause and the fix:
 * which verb on which resource, in which namespace, as which user, against which context and server.
 */
export interface RequestContext {
  verb: string
  resource: string
  namespace?: string | undefined
  name?: string | undefined
}

export interface Target {
  contextName: string | undefined
  server: string
  userName: string
}

export interface ApiStatus {
  message?: string
  reason?: string
  code?: number
  details?: { retryAfterSeconds?: number; causes?: { message?: string; field?: string }[] }
}

function where(target: Target): string {
  return target.contextName === undefined
    ? `server ${target.server}`
    : `context "${target.contextName}", server ${target.server}`
}

export function what(ctx: RequestContext): string {
  const object = ctx.name === undefined ? ctx.resource : `${ctx.resource} "${ctx.name}"`
  return ctx.namespace === undefined ? object : `${object} in namespace "${ctx.namespace}"`
}

/** The error for an HTTP answer that is not a success and will not be retried. */
export function errorFromStatus(
  status: number,
  body: ApiStatus | undefined,
  ctx: RequestContext,
  target: Target,
): SuiteError {
  const message = body?.message?.trim() || `${status} ${body?.reason ?? ''}`.trim()
  switch (status) {
    case 401:
      return new SuiteError(
        'auth',
        `you must be logged in to the server: it rejected the credentials of user "${target.userName}" (${where(target)})`,
        {
          status,
          hint: 'the token or client certificate is missing, wrong or expired: check it with `kubectl auth whoami`',
        },
      )
    case 403:
      return new SuiteError('forbidden', `${message} (${where(target)})`, {
        status,
        hint: `ask a cluster admin to allow "${ctx.verb}" on ${ctx.resource}${ctx.namespace === undefined ? '' : ` in namespace "${ctx.namespace}"`}${ctx.namespace === undefined ? '' : ', or choose another namespace with -n'}`,
      })
    case 404:
      if (body?.reason === 'NotFound' && body.message !== undefined && /not found$/.test(body.message)) {
        return new SuiteError('not-found', `${what(ctx)} not found (${where(target)})`, {
          status,
          hint: ctx.namespace === undefined ? undefined : 'check the name, or the namespace with -n / -A',
        })
      }
      return new SuiteError('not-found', `the server does not serve ${ctx.resource} (${where(target)}): ${message}`, {
        status,
        hint: 'the API may be missing from this cluster or disabled',
      })
    case 409:
      return new SuiteError('conflict', `${message} (${where(target)})`, { status })
    case 422:
      return new SuiteError('invalid', message, { status })
    case 400:
      return new SuiteError('invalid', `the server rejected the request to ${ctx.verb} ${what(ctx)}: ${message}`, {
        status,
      })
    case 410:
      return new SuiteError(
        'connection',
        `the server expired the list of ${ctx.resource} while it was being read: ${message}`,
        {
          status,
        },
      )
    case 429:
      return new SuiteError(
        'connection',
        `the server kept rate-limiting the request to ${ctx.verb} ${ctx.resource} (429 Too Many Requests, ${where(target)})`,
        {
          status,
          hint: 'the API server is overloaded; try again later',
        },
      )
    default:
      if (status >= 500) {
        return new SuiteError(
          'connection',
          `the server failed to ${ctx.verb} ${what(ctx)} (${status} ${body?.reason ?? ''}): ${message} (${where(target)})`,
          {
            status,
            hint: 'the API server or an aggregated API is unhealthy; try again later',
          },
        )
      }
      // A status no apiserver sends for this request (418, 405 from a proxy…): a protocol fault, not a bug here.
      return new SuiteError(
        'connection',
        `the server ${target.server} answered ${ctx.verb} ${what(ctx)} with an unexpected ${status}: ${message}`,
        {
          status,
          hint: 'is the server address right, and is it a Kubernetes API server (not a proxy or login page)? check it with `kubectl config view --minify`',
        },
      )
  }
}

const TLS_UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
])

/** The error for a request that never got an HTTP answer. */
export function errorFromNetwork(error: unknown, ctx: RequestContext, target: Target, timeoutMs: number): SuiteError {
  const code = (error as { code?: string }).code ?? ''
  const detail = error instanceof Error ? error.message : String(error)
  if (code === 'KUBECTL_SUITE_TIMEOUT') {
    return new SuiteError(
      'connection',
      `request to ${ctx.verb} ${what(ctx)} timed out after ${formatMs(timeoutMs)} (${where(target)})`,
      {
        cause: error,
        hint: 'the server is slow or unreachable; raise --request-timeout (e.g. --request-timeout=2m)',
      },
    )
  }
  if (code === 'ECONNREFUSED') {
    return new SuiteError('connection', `cannot connect to ${target.server}: connection refused (${where(target)})`, {
      cause: error,
      hint: 'is the cluster running? check the server address with `kubectl config view --minify`',
    })
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new SuiteError('connection', `cannot resolve the host of ${target.server} (${where(target)})`, {
      cause: error,
      hint: 'check the server address with `kubectl config view --minify`',
    })
  }
  if (TLS_UNKNOWN_AUTHORITY.has(code)) {
    return new SuiteError(
      'connection',
      `TLS: the certificate of ${target.server} is signed by an unknown authority (${where(target)})`,
      {
        cause: error,
        hint: 'set certificate-authority(-data) for this cluster or pass --certificate-authority; --insecure-skip-tls-verify only for testing',
      },
    )
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return new SuiteError('connection', `TLS: the certificate of ${target.server} has expired (${where(target)})`, {
      cause: error,
    })
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new SuiteError(
      'connection',
      `TLS: the certificate of ${target.server} is not valid for that host name (${where(target)})`,
      {
        cause: error,
        hint: 'pass --tls-server-name with a name the certificate holds, or fix the server address',
      },
    )
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || detail.includes('socket hang up')) {
    return new SuiteError(
      'connection',
      `the connection to ${target.server} was closed before an answer to ${ctx.verb} ${ctx.resource} (${where(target)})`,
      {
        cause: error,
        hint: 'the server or a proxy dropped the connection; try again',
      },
    )
  }
  return new SuiteError('connection', `cannot reach ${target.server}: ${detail} (${where(target)})`, { cause: error })
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/**
 * An answer that is no Kubernetes answer at all (HTML from a proxy, null, a list whose items are not an array):
 * a protocol fault of the server or something in front of it, not a bug here. Names the server and what came back.
 */
export function protocolError(ctx: RequestContext, target: Target, came: string): SuiteError {
  return new SuiteError('connection', `the server ${target.server} answered ${ctx.verb} ${what(ctx)} with ${came}`, {
    hint: 'is the server address right, and is it a Kubernetes API server (not a proxy or login page)? check it with `kubectl config view --minify`',
  })
}

/** A stream (logs -f) whose connection was cut after it had started. */
export function streamCutError(error: unknown, ctx: RequestContext, target: Target): SuiteError {
  const detail = error instanceof Error ? error.message : String(error)
  return new SuiteError(
    'connection',
    `the connection to ${target.server} was closed while streaming ${ctx.verb} ${what(ctx)}: ${detail} (${where(target)})`,
    { cause: error, hint: 'the server or a proxy dropped the connection; run the command again to resume' },
  )
}

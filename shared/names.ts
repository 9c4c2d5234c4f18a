/** The API server's naming rules (object names, label values) and names derived from free text; pure, no I/O. */

/** The apiserver's rule for most object names (DNS-1123 subdomain): lower-case alphanumerics, '-' and '.'. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name)
}

/** The apiserver's rule for a label value: empty, or up to 63 alphanumerics, '-', '_' and '.', alphanumeric at both ends. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value)
}

/**
 * A label value from free text: runs of characters a label cannot hold become '-', at most 63 characters, and
 * alphanumeric at both ends (a value cut at 63 that ends on '-', '_' or '.' is refused by the API server with a
 * 422). Every label value the plugins derive from names goes through here.
 */
export function labelValue(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

/** A DNS-1123 label from free text: lower case, runs of other characters turned into '-', at most `max` chars. */
export function dnsLabel(text: string, max = 63): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '')
}

/**
 * A DNS-1123 label of at most `max` characters that stays distinct: text that fits is returned as dnsLabel gives
 * it; longer text keeps its start and ends with '-' and six characters of the sha256 of the whole text, so two
 * long names that share their first 50 characters still differ, and the result is never cut into an invalid label.
 */
export function shortDnsLabel(text: string, max: number, hash: (text: string) => string): string {
  const full = dnsLabel(text, Number.MAX_SAFE_INTEGER)
  if (full.length <= max) return full
  const suffix = hash(text).slice(0, 6)
  const head = dnsLabel(full, Math.max(0, max - suffix.length - 1))
  return head === '' ? suffix.slice(0, max) : `${head}-${suffix}`
}

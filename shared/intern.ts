/**
 * One copy of each repeated string. JSON.parse makes a new string for every value, so 150,000 pod rows held
 * 150,000 copies of "Running", of each namespace, node and owner name. A row that keeps the interned copy lets
 * the parsed page's copy go. Cleared when full, so a stream of unique values cannot grow it without bound.
 */
export function createInterner(limit = 65_536): (text: string) => string {
  const seen = new Map<string, string>()
  return (text) => {
    const known = seen.get(text)
    if (known !== undefined) return known
    if (seen.size >= limit) seen.clear()
    seen.set(text, text)
    return text
  }
}

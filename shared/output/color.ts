import picocolors from 'picocolors'

/**
 * What a piece of text means, not how it looks. Plugins pick a role; this module alone decides the colour, so the
 * five plugins agree on what green and red say.
 */
export type ColorRole = 'ok' | 'warn' | 'bad' | 'dim' | 'accent' | 'header'

/** Every role, in a stable order (for tests and documentation). */
export const COLOR_ROLES: readonly ColorRole[] = ['ok', 'warn', 'bad', 'dim', 'accent', 'header']

// Built with colours forced on: whether colour is wanted is decided by the caller (Io.color), never by
// picocolors sniffing the environment a second time.
const styles = picocolors.createColors(true)

const STYLE_OF_ROLE: Record<ColorRole, (text: string) => string> = {
  ok: styles.green,
  warn: styles.yellow,
  bad: styles.red,
  dim: styles.gray,
  accent: styles.cyan,
  header: styles.bold,
}

/**
 * Wraps `text` in the escape sequences for `role` when `enabled`; otherwise returns `text` unchanged. Without a
 * role, or with empty text, nothing is added, so callers can pass optional roles straight through.
 */
export function colorize(text: string, role: ColorRole | undefined, enabled: boolean): string {
  if (!enabled || role === undefined || text === '') return text
  return STYLE_OF_ROLE[role](text)
}

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks), the two kinds a terminal hides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g

/** `text` without ANSI escape sequences: what a terminal shows of it. */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI_ESCAPE, '') : text
}

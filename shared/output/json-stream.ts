/**
 * A list document as `-o json` prints it (renderJson: 4-space indent, final newline), handed to `write` a batch of
 * items at a time instead of built and stringified whole: at 20,000 workloads the document objects and the one
 * 64 MB string held at once were most of the peak above the rows themselves. The text is byte for byte what
 * `renderJson({...head, items: items.map(toJson)})` gives: the items key comes last, after the keys of `head`.
 */
const ITEMS_PER_WRITE = 256
const ITEM_INDENT = ' '.repeat(8)

export function writeJsonList<T>(
  head: Record<string, unknown>,
  items: Iterable<T>,
  toJson: (item: T) => unknown,
  write: (text: string) => void,
): void {
  const headText = JSON.stringify(head, null, 4)
  // `{}` for an empty head; otherwise `{\n    "a": 1\n}` whose closing line is replaced by the items.
  const open = headText === '{}' ? '{\n' : `${headText.slice(0, -2)},\n`
  const chunks: string[] = []
  let count = 0
  for (const item of items) {
    // JSON strings hold no raw line breaks, so every line break is one of the item's own lines to indent.
    const text = (JSON.stringify(toJson(item), null, 4) ?? 'null').replaceAll('\n', `\n${ITEM_INDENT}`)
    chunks.push(count === 0 ? `${open}    "items": [\n${ITEM_INDENT}${text}` : `,\n${ITEM_INDENT}${text}`)
    count++
    if (chunks.length >= ITEMS_PER_WRITE) {
      write(chunks.join(''))
      chunks.length = 0
    }
  }
  chunks.push(count === 0 ? `${open}    "items": []\n}\n` : '\n    ]\n}\n')
  write(chunks.join(''))
}

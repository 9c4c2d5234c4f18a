/**
 * Array helpers for lists whose length follows the cluster (pods, rows, names). `target.push(...items)` and
 * `Math.max(...items)` pass every element as a call argument, and V8 throws "Maximum call stack size exceeded"
 * somewhere past ~100,000 of them: `usage pods -A` died that way at 150,000 pods. These loop instead.
 */

/** Appends every item to `target`, however many there are. */
export function pushAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item)
  return target
}

/** The largest value `measure` gives over `items`, or `floor` when there are none (or all are below it). */
export function maxOf<T>(items: Iterable<T>, measure: (item: T) => number, floor = 0): number {
  let max = floor
  for (const item of items) {
    const value = measure(item)
    if (value > max) max = value
  }
  return max
}

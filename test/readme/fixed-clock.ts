/**
 * Loaded with `node --import` (through NODE_OPTIONS) into the plugin processes the README tour runs, so their
 * clock stands still at TOUR_NOW (milliseconds), the instant the demo scenario was built around: ages and days
 * left then print the same on every run and every day, which is what lets test/readme/readme.test.ts compare the
 * README with real output. Only the JavaScript clock stands still; TLS checks certificates against the real time,
 * and timers run as ever.
 */
const RealDate = Date
const fixed = Number(process.env.TOUR_NOW)
if (!Number.isSafeInteger(fixed)) throw new Error('test/readme/fixed-clock.ts needs TOUR_NOW (milliseconds)')

globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [fixed] : args, newTarget) as object
  },
  apply() {
    return new RealDate(fixed).toString()
  },
  get(target, property, receiver) {
    if (property === 'now') return () => fixed
    return Reflect.get(target, property, receiver) as unknown
  },
})

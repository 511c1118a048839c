// Reading the values a template names (`{{alert.machineId}}`) from a message without touching the
// rest of it: a Node-RED msg can hold live, circular objects (an http in flow's req / res) that
// must never be serialised, and getters or inherited properties must never run or be read.

/** What a path that leads nowhere reads as (distinct from a property whose value is undefined). */
export const MISSING: unique symbol = Symbol('missing');

/**
 * `a.b.0` on `view`, through own data properties only: no prototype, no getter, no function
 * call. `.` is the view itself (mustache's current-context name).
 */
export function readNamedValue(view: unknown, name: string): unknown {
  if (name === '.') return view;
  let current = view;
  for (const key of name.split('.')) {
    if (current === null || typeof current !== 'object') return MISSING;
    const property = Object.getOwnPropertyDescriptor(current, key);
    if (!property || !('value' in property)) return MISSING;
    current = property.value;
  }
  return current;
}

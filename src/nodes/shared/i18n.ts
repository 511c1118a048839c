// Runtime messages come from the node's catalogue through RED._; when the runtime has no
// catalogue loaded (RED._ answers with the key itself, as node-red-node-test-helper does) the
// bundled en-US catalogue is used, so users and tests always get a sentence, never a key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from './node-types';

const catalogues = new Map<string, Record<string, unknown>>();

function catalogue(type: string): Record<string, unknown> {
  let cat = catalogues.get(type);
  if (!cat) {
    try {
      cat = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, unknown>;
    } catch {
      cat = {};
    }
    catalogues.set(type, cat);
  }
  return cat;
}

function lookup(key: string): string | undefined {
  const type = key.split('.')[0];
  let value: unknown = catalogue(type);
  for (const part of key.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return typeof value === 'string' ? value : undefined;
}

// Status texts are set on every message: resolve each key's template once per node set (RED._
// is namespaced per set) and fill in the values ourselves.
const templates = new WeakMap<NodeAPI, Map<string, string>>();

function templateFor(RED: NodeAPI, key: string): string {
  let cache = templates.get(RED);
  if (!cache) {
    cache = new Map();
    templates.set(RED, cache);
  }
  let template = cache.get(key);
  if (template === undefined) {
    const bundled = lookup(key);
    const names = bundled ? [...bundled.matchAll(/__(\w+)__/g)].map((m) => m[1]) : [];
    // Ask the runtime with each value standing for itself, so its catalogue (any language) gives the template.
    const fromRuntime = RED._(key, Object.fromEntries(names.map((n) => [n, `__${n}__`])));
    template = typeof fromRuntime === 'string' && fromRuntime !== key ? fromRuntime : bundled ?? key;
    cache.set(key, template);
  }
  return template;
}

export function translate(RED: NodeAPI, key: string, vars: Record<string, string | number> = {}): string {
  return templateFor(RED, key).replace(/__(\w+)__/g, (_, name: string) => (name in vars ? String(vars[name]) : `__${name}__`));
}

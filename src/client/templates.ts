// Mustache is loaded on first use (it is only needed once a message arrives), and every render
// passes its own escaper: the process-wide Mustache.escape is shared with Node-RED's Template node.
import type * as MustacheModule from 'mustache';

let loaded: typeof MustacheModule | undefined;

export function mustache(): typeof MustacheModule {
  loaded ??= require('mustache') as typeof MustacheModule;
  return loaded;
}

/** Plain-text template (audit comments): values inserted as they are, no HTML escaping. */
export function renderTextTemplate(template: string, view: object): string {
  return mustache().render(template, view, undefined, { escape: (v: unknown) => String(v) });
}

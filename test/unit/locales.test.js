// Every translation mirrors the en-US editor files: the same catalogue keys (none missing, none
// stray), the same __placeholders__ and {{template}} examples, and help with the same sections.
// It walks nodes/locales/en-US, so a node added later is covered without touching this file.
'use strict';
const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const locales = path.join(root, 'nodes', 'locales');
const BASE = 'en-US';

// Help section headings (<h3>) as each language writes them; a new language adds its own line.
const HEADINGS = {
  fr: { Inputs: 'Entrées', Outputs: 'Sorties', Details: 'Détails', References: 'Références' },
};

const languages = fs
  .readdirSync(locales, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== BASE)
  .map((e) => e.name)
  .sort();
const baseFiles = (ext) => fs.readdirSync(path.join(locales, BASE)).filter((f) => f.endsWith(ext)).sort();
const read = (lang, file) => fs.readFileSync(path.join(locales, lang, file), 'utf8');

/** { 'mde-alerts.label.mode': 'Mode', ... } for every string leaf of a catalogue. */
function leaves(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) leaves(v, key, out);
    else out[key] = v;
  }
  return out;
}
const placeholders = (s) => [...new Set(String(s).match(/__\w+__/g) || [])].sort();
// Things a user types or sees as code: {{payload.machineId}}, {{{raw}}} — never translated.
const templates = (s) => [...new Set(String(s).match(/\{\{\{?[\w.]+\}?\}\}/g) || [])].sort();

function helpOutline(html) {
  const text = (tag) => [...html.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1].trim());
  return {
    name: (html.match(/data-help-name="([^"]+)"/) || [])[1],
    h3: text('h3'),
    h4Count: text('h4').length,
    msgProps: [...new Set(html.match(/msg\.[A-Za-z_][\w.]*/g) || [])].map((p) => p.replace(/\.$/, '')).sort(),
    links: [...new Set([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]))].sort(),
  };
}

describe('editor translations', () => {
  it('French is among the translations, with a heading map for each language', () => {
    assert.ok(languages.includes('fr'), `nodes/locales has: ${languages.join(', ')}`);
    for (const lang of languages) assert.ok(HEADINGS[lang], `add the ${lang} help headings to HEADINGS in this test`);
  });

  for (const lang of languages) {
    describe(`${lang} catalogues mirror ${BASE}`, () => {
      for (const file of baseFiles('.json')) {
        it(`${lang}/${file}: same keys, non-empty strings, same __placeholders__ and {{templates}}`, () => {
          assert.ok(fs.existsSync(path.join(locales, lang, file)), `nodes/locales/${lang}/${file} is missing`);
          const base = leaves(JSON.parse(read(BASE, file)));
          const tr = leaves(JSON.parse(read(lang, file)));
          const missing = Object.keys(base).filter((k) => !(k in tr));
          const stray = Object.keys(tr).filter((k) => !(k in base));
          assert.deepEqual(missing, [], `keys missing from ${lang}/${file}`);
          assert.deepEqual(stray, [], `keys in ${lang}/${file} that ${BASE} does not have`);
          for (const [key, en] of Object.entries(base)) {
            assert.equal(typeof tr[key], 'string', `${key} is a string`);
            assert.ok(tr[key].trim(), `${key} is not empty`);
            assert.deepEqual(placeholders(tr[key]), placeholders(en), `${key}: "${tr[key]}" keeps the placeholders of "${en}"`);
            assert.deepEqual(templates(tr[key]), templates(en), `${key}: "${tr[key]}" keeps the templates of "${en}"`);
          }
        });
      }
      it(`no ${lang} catalogue without an ${BASE} one`, () => {
        const orphans = fs.readdirSync(path.join(locales, lang)).filter((f) => !fs.existsSync(path.join(locales, BASE, f)));
        assert.deepEqual(orphans, []);
      });
    });

    describe(`${lang} help mirrors ${BASE}`, () => {
      for (const file of baseFiles('.html')) {
        it(`${lang}/${file}: same node, sections, sub-sections, msg properties and links`, () => {
          assert.ok(fs.existsSync(path.join(locales, lang, file)), `nodes/locales/${lang}/${file} is missing`);
          const base = helpOutline(read(BASE, file));
          const tr = helpOutline(read(lang, file));
          assert.equal(tr.name, base.name, 'data-help-name');
          assert.equal(base.name, file.replace(/\.html$/, ''), `${BASE}/${file} is the help of its own node`);
          const expected = base.h3.map((h) => HEADINGS[lang][h] ?? `(no ${lang} heading for "${h}")`);
          assert.deepEqual(tr.h3, expected, 'section headings, in order');
          assert.equal(tr.h4Count, base.h4Count, 'number of sub-sections');
          assert.deepEqual(tr.msgProps, base.msgProps, 'msg properties named');
          assert.deepEqual(tr.links, base.links, 'reference links');
        });
      }
    });
  }

  it(`every node's help is in nodes/locales/${BASE}/<type>.html, not inline, with the style guide's sections`, () => {
    const types = fs.readdirSync(path.join(root, 'nodes')).filter((f) => f.endsWith('.html'));
    assert.ok(types.length >= 5);
    for (const file of types) {
      const inline = fs.readFileSync(path.join(root, 'nodes', file), 'utf8');
      // An inline block would shadow the locale files for the default language and escape this test.
      assert.doesNotMatch(inline, /data-help-name=/, `nodes/${file} still has inline help: move it to nodes/locales/${BASE}/${file}`);
      assert.ok(fs.existsSync(path.join(locales, BASE, file)), `nodes/locales/${BASE}/${file} is missing`);
      const { h3 } = helpOutline(read(BASE, file));
      assert.ok(h3.includes('Details') && h3.includes('References'), `${file}: ${h3}`);
      const hasInput = /\binputs:\s*1\b/.test(inline);
      if (hasInput) assert.ok(h3.includes('Inputs') && h3.includes('Outputs'), `${file}: ${h3}`);
    }
  });

  it('the build puts every locale file beside the compiled nodes', () => {
    for (const lang of [BASE, ...languages]) {
      for (const file of fs.readdirSync(path.join(locales, lang))) {
        const built = path.join(root, 'dist', 'nodes', 'locales', lang, file);
        assert.ok(fs.existsSync(built), `dist/nodes/locales/${lang}/${file} (run node scripts/build.js)`);
        assert.equal(fs.readFileSync(built, 'utf8'), read(lang, file), `dist/nodes/locales/${lang}/${file} is current`);
      }
    }
  });
});

describe('runtime messages in French through Node-RED i18n (RED._)', () => {
  // The same i18n module, namespace and RED._ wrapper as the runtime this suite runs against.
  const major = Number(process.versions.node.split('.')[0]);
  const which = process.env.MDE_NODE_RED || (major >= 22 ? '5' : '4');
  const redDir = path.dirname(require.resolve(`${which === '5' ? 'node-red-5' : 'node-red'}/package.json`));
  const i18n = require(require.resolve('@node-red/util', { paths: [redDir] })).i18n;
  const { translate } = require(path.join(root, 'dist', 'nodes', 'shared', 'i18n.js'));
  const dist = path.join(root, 'dist', 'nodes', 'locales');
  const reds = {};

  before(async () => {
    i18n.init({ lang: 'fr' });
    for (const file of baseFiles('.json')) {
      const namespace = `node-red-contrib-defender-endpoint/${file.replace(/\.json$/, '')}`;
      await i18n.registerMessageCatalog(namespace, dist, file);
      // What @node-red/registry gives each node set as RED._.
      reds[file] = { _: (key, ...rest) => i18n._(key.includes(':') ? key : `${namespace}:${key}`, ...rest) };
    }
  });

  for (const file of baseFiles('.json')) {
    it(`${file}: translate() answers every key in French with the values filled in`, () => {
      const fr = leaves(JSON.parse(read('fr', file)));
      for (const [key, template] of Object.entries(fr)) {
        const vars = Object.fromEntries(placeholders(template).map((p, i) => [p.slice(2, -2), `«v${i}»`]));
        const expected = template.replace(/__(\w+)__/g, (_, name) => vars[name]);
        assert.equal(translate(reds[file], key, vars), expected, key);
      }
    });
  }

  it('an isolation refused by the cap reads in French', () => {
    const text = translate(reds['mde-isolate.json'], 'mde-isolate.errors.cap', { count: 5, minutes: 10, limit: 5, machine: 'ws-042.contoso.local' });
    assert.equal(text, "Plafond d'isolements atteint : 5 isolement(s) au cours des 10 dernières minutes (limite : 5). Isolement de ws-042.contoso.local refusé.");
  });
});

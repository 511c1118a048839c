'use strict';
// KQL templates: where a placeholder may stand (KQL string-literal and comment rules) and how
// values are read from the message (named paths only, own data properties only).
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { checkKqlTemplate, renderKqlTemplate, kqlLiteral } = require('../../dist/client/hunting/kql.js');
const { MdeInputError } = require('../../dist/client/errors.js');

const refused = (re) => (e) => e instanceof MdeInputError && re.test(e.message);

// The breakout from the review: ends a '...' literal, then comments out the rest.
const BREAKOUT = `'"x' or 1==1 or DeviceName == 'y"'`;

describe('kql templates: placeholders written inside quotes are refused', () => {
  const insideLiteral = [
    ["DeviceName == '{{name}}'", "'…'"],
    ['DeviceName == "{{name}}"', '"…"'],
    ['DeviceName == @"{{name}}"', '@"…"'],
    ["DeviceName == @'{{name}}'", "@'…'"],
    ["DeviceName == h'{{name}}'", "h'…'"],
    ['DeviceName == h"{{name}}"', 'h"…"'],
    ["DeviceName == H@'{{name}}'", "H@'…'"],
    ['DeviceName == h@"{{name}}"', 'h@"…"'],
    ['DeviceName == ```{{name}}```', '```…```'],
    ['DeviceName == ~~~{{name}}~~~', '~~~…~~~'],
    ['DeviceName has "pc-{{name}}.contoso.com"', '"…"'],
    ["T | where Tag in ('a', '{{name}}')", "'…'"],
    ["T | project ['{{name}}']", "'…'"],
  ];
  for (const [template, form] of insideLiteral) {
    test(`${template} is refused, naming the ${form} literal and the fix`, () => {
      assert.throws(() => checkKqlTemplate(template), refused(new RegExp(`\\{\\{name\\}\\}.*inside the string literal ${form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*Write \\{\\{name\\}\\} without quotes`)));
      // Rendering refuses too (it re-checks), whatever the value.
      assert.throws(() => renderKqlTemplate(template, { name: BREAKOUT }), MdeInputError);
    });
  }

  test('escape rules decide where a literal ends: backslash in "..." and \'...\', doubled quote in @"..."', () => {
    // An escaped quote does not end a plain literal, so the tag is still inside.
    assert.throws(() => checkKqlTemplate('A == "it\\" {{name}}"'), refused(/inside the string literal "…"/));
    assert.throws(() => checkKqlTemplate("A == 'it\\' {{name}}'"), refused(/inside the string literal '…'/));
    // A backslash right before the tag is still inside the literal.
    assert.throws(() => checkKqlTemplate('A == "C:\\{{name}}"'), refused(/inside the string literal/));
    // In a verbatim literal a doubled quote is the escape ...
    assert.throws(() => checkKqlTemplate('A == @"say ""{{name}}"""'), refused(/inside the string literal @"…"/));
    // ... and the backslash is literal: @"C:\" is complete, so a tag after a space is outside.
    assert.deepEqual(checkKqlTemplate('A startswith @"C:\\" and B == {{name}}'), ['name']);
    // The same text without @ leaves the literal open and the tag inside it.
    assert.throws(() => checkKqlTemplate('A startswith "C:\\" and B == {{name}}"'), refused(/inside the string literal "…"/));
  });

  test('a multi-line ``` literal spans lines; the message gives both lines', () => {
    const template = 'let note = ```\nfirst line "quoted"\n{{name}}\n```;\nT';
    assert.throws(() => checkKqlTemplate(template), refused(/\{\{name\}\} \(line 3\) inside the string literal ```…``` opened on line 1/));
  });

  test('a placeholder inside a // comment is refused (it would still demand a value, never be used)', () => {
    assert.throws(() => checkKqlTemplate('T\n// | where DeviceName == {{name}}\n| take 1'), refused(/\{\{name\}\} \(line 2\) inside a \/\/ comment/));
    assert.throws(() => checkKqlTemplate('T | take 1 // for {{name}}'), refused(/comment/));
  });

  test('@ or a string literal glued to the placeholder is refused (verbatim / joined literals)', () => {
    // @{{name}} would render @"..." : a verbatim literal in which the value's \" escapes end the string.
    assert.throws(() => checkKqlTemplate('A == @{{name}}'), refused(/@ right before \{\{name\}\}.*Remove the @/));
    assert.throws(() => checkKqlTemplate('A == h@{{name}}'), refused(/@ right before/));
    // A mustache comment in between outputs nothing: still glued.
    assert.throws(() => checkKqlTemplate('A == @{{! why }}{{name}}'), refused(/@ right before/));
    // @"C:\"{{name}} would render @"C:\""...": the two quotes read as one escaped quote.
    assert.throws(() => checkKqlTemplate('A startswith @"C:\\"{{name}}'), refused(/right after a string literal.*strcat/));
    assert.throws(() => checkKqlTemplate("A == 'pre'{{name}}"), refused(/right after a string literal/));
  });

  test('a string literal left open before a placeholder is refused', () => {
    assert.throws(() => checkKqlTemplate('T | where A == "abc\n| where B == {{name}}'), refused(/opens a string literal with " on line 1 and does not close it on that line/));
    assert.throws(() => checkKqlTemplate('T | where B == {{name}} and A == ```abc'), refused(/opens a string literal with ```/));
    // Without placeholders nothing is inserted: the service reports its own syntax error.
    assert.deepEqual(checkKqlTemplate('T | where A == "abc'), []);
  });
});

describe('kql templates: legitimate templates are accepted', () => {
  const accepted = [
    ['DeviceProcessEvents | where DeviceName == {{name}} and FileName == {{file}}', ['name', 'file']],
    ['T | where Url == "https://contoso.com/a//b" and DeviceName == {{name}}', ['name']],
    ["T | where A == 'it\\'s' and B == \"say \\\"hi\\\"\" and C == {{name}}", ['name']],
    ['T | where A == @\'C:\\Temp\\\' and B == @"x""y" and C == {{name}}', ['name']],
    ['T | where A == h"secret" and B == H@\'x\' and C == {{name}}', ['name']],
    ['T // don\'t forget "this"\n| where DeviceName == {{name}} // by name\n| take 1', ['name']],
    ['let doc = ```it\'s "multi"\nline```;\nT | where DeviceName == {{name}}', ['name']],
    ['T | where ["Device Name"] == {{name}}', ['name']],
    ['T | where DeviceName in ({{names}}) and Path startswith strcat(@"C:\\", {{user}})', ['names', 'user']],
    ['T | where A == "x" {{name}}', ['name']],
    ['T | where A == {{a}}{{b}}', ['a', 'b']],
    ['T {{! a mustache comment with "quotes" }} | where A == {{name}}', ['name']],
    ['T | where Tag == "{{! not a placeholder }}" and A == {{name}}', ['name']],
    ["T | where Path has'x' and A == {{name}}", ['name']],
  ];
  for (const [template, names] of accepted) {
    test(JSON.stringify(template), () => assert.deepEqual(checkKqlTemplate(template), names));
  }

  test('the review\'s breakout value stays one literal in a correctly written template', () => {
    const q = renderKqlTemplate('DeviceInfo | where DeviceName == {{name}} | take 1', { name: BREAKOUT });
    assert.equal(q, `DeviceInfo | where DeviceName == "'\\"x' or 1==1 or DeviceName == 'y\\"'" | take 1`);
  });
});

describe('kql templates: values are read from the named paths only', () => {
  test('a circular message with functions and live objects renders; only the named values are read', () => {
    const req = { method: 'POST' };
    req.self = req;
    const msg = { _msgid: 'm1', payload: { machine: 'pc-1', ids: ['a', 'b'] }, req, res: { req, send() {} }, fn: () => 'ran' };
    msg.res.msg = msg;
    assert.equal(
      renderKqlTemplate('T | where DeviceName == {{payload.machine}} and Id in ({{payload.ids}}) and M == {{req.method}}', msg),
      'T | where DeviceName == "pc-1" and Id in (("a", "b")) and M == "POST"',
    );
  });

  test('no other property of the message is touched (traced with a Proxy)', () => {
    const touched = new Set();
    const trace = (target, path) =>
      new Proxy(target, {
        get(t, key) { touched.add(`${path}.${String(key)}:get`); return Reflect.get(t, key); },
        getOwnPropertyDescriptor(t, key) {
          touched.add(`${path}.${String(key)}`);
          const d = Reflect.getOwnPropertyDescriptor(t, key);
          return d && typeof d.value === 'object' && d.value ? { ...d, value: trace(d.value, `${path}.${String(key)}`) } : d;
        },
        ownKeys(t) { touched.add(`${path}:keys`); return Reflect.ownKeys(t); },
      });
    const msg = trace({ payload: { name: 'pc' }, secret: { token: 'Bearer x' }, other: 1 }, 'msg');
    renderKqlTemplate('T | where A == {{payload.name}}', msg);
    assert.deepEqual([...touched].sort(), ['msg.payload', 'msg.payload.name']);
  });

  test('prototype names, getters and functions are never looked up or run', () => {
    let ran = 0;
    const msg = { payload: 'x', fn: () => { ran++; return 'ran'; } };
    Object.defineProperty(msg, 'computed', { enumerable: true, get() { ran++; return 'from a getter'; } });
    for (const name of ['constructor', '__proto__', 'toString', 'payload.length', 'payload.constructor', 'hasOwnProperty', 'computed']) {
      assert.throws(() => renderKqlTemplate(`T | where A == {{${name}}}`, msg, { viewName: 'msg' }), refused(new RegExp(`needs a value for \\{\\{${name.replace('.', '\\.')}\\}\\} \\(msg\\.${name.replace('.', '\\.')}\\), but msg has none`)), name);
    }
    assert.throws(() => renderKqlTemplate('T | where A == {{fn}}', msg, { viewName: 'msg' }), refused(/\{\{fn\}\} \(msg\.fn\): Cannot put a function/));
    const list = ['a'];
    Object.defineProperty(list, 1, { enumerable: true, get() { ran++; return 'b'; } });
    assert.throws(() => renderKqlTemplate('T | where A in ({{list}})', { list }), refused(/\{\{list\}\}: Cannot put an undefined value/));
    assert.equal(ran, 0, 'no getter or function of the message ran');
  });

  test('an own __proto__ key (from JSON) is plain data and may be used', () => {
    const view = JSON.parse('{"__proto__": "p", "a": {"constructor": "c"}}');
    assert.equal(renderKqlTemplate('{{__proto__}} {{a.constructor}}', view), '"p" "c"');
  });

  test('dates become datetime() literals; integers beyond 2^53 become real()', () => {
    assert.equal(renderKqlTemplate('T | where Timestamp > {{since}}', { since: new Date('2026-01-02T03:04:05.678Z') }), 'T | where Timestamp > datetime(2026-01-02T03:04:05.678Z)');
    assert.throws(() => kqlLiteral(new Date('nope')), refused(/invalid date/));
    assert.equal(kqlLiteral(1e21), 'real(1e+21)');
    assert.equal(kqlLiteral(2n ** 60n), `long(${2n ** 60n})`);
  });

  test('raw insertion (allowed explicitly) takes only text, numbers and booleans', () => {
    assert.equal(renderKqlTemplate('{{{table}}} | take {{{n}}}', { table: 'DeviceInfo', n: 5 }, { allowRaw: true }), 'DeviceInfo | take 5');
    assert.throws(() => renderKqlTemplate('{{{table}}}', { table: { a: 1 } }, { allowRaw: true, viewName: 'msg' }), refused(/\{\{table\}\} \(msg\.table\) is an object/));
  });
});

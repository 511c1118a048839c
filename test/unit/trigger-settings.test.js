'use strict';
// The trigger's dialog values are checked at deploy: wrong types and out-of-range values are
// refused with the property named, never coerced or replaced by a default.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { readTriggerSettings } = require('../../dist/nodes/shared/trigger-settings.js');

describe('readTriggerSettings', () => {
  it('gives the documented defaults to properties absent from the flow', () => {
    const s = readTriggerSettings({ id: 'n', type: 'mde-alert-trigger', z: '', name: '' });
    assert.equal(s.source, 'alerts');
    assert.equal(s.mode, 'created');
    assert.equal(s.intervalMs, 60_000);
    assert.equal(s.lookbackMs, 3_600_000);
    assert.equal(s.overlapMs, 300_000);
    assert.deepEqual(s.filters, { severity: [], status: [], serviceSource: [], classification: [], determination: [], assignedTo: undefined });
  });

  it('reads numbers given as numbers or as the plain numeric text the editor stores', () => {
    const s = readTriggerSettings({ interval: '15', lookback: 0, overlap: '2.5' });
    assert.equal(s.intervalMs, 15_000);
    assert.equal(s.lookbackMs, 0);
    assert.equal(s.overlapMs, 150_000);
  });

  it('refuses a poll interval below the 10 s floor, or of the wrong type', () => {
    for (const interval of [9, '5', 0, -60, '', '60s', 'abc', true, [60], { s: 60 }, null, Number.NaN, 86_401]) {
      assert.throws(() => readTriggerSettings({ interval }), (err) => {
        assert.equal(err.code, 'InvalidSetting');
        assert.match(err.message, /poll interval/);
        assert.match(err.message, /from 10 to 86400/);
        return true;
      }, JSON.stringify(interval));
    }
  });

  it('lets settings.js lower the floor (tests, benchmarks) but never accepts a nonsense floor', () => {
    assert.equal(readTriggerSettings({ interval: 0.2 }, 0.1).intervalMs, 200);
    assert.throws(() => readTriggerSettings({}, '1'), /mdeAlertTriggerMinIntervalSeconds/);
    assert.throws(() => readTriggerSettings({}, 0), /mdeAlertTriggerMinIntervalSeconds/);
  });

  it('refuses unknown source or mode values instead of falling back to a default', () => {
    assert.throws(() => readTriggerSettings({ source: 'alert' }), /source must be one of "alerts", "incidents", got "alert"/);
    assert.throws(() => readTriggerSettings({ mode: 'both' }), /mode must be one of "created", "updated", got "both"/);
    assert.throws(() => readTriggerSettings({ mode: '' }), /mode/);
  });

  it('refuses look-back and overlap out of range', () => {
    assert.throws(() => readTriggerSettings({ lookback: 43_201 }), /look-back .* from 0 to 43200/);
    assert.throws(() => readTriggerSettings({ overlap: '-1' }), /overlap window/);
  });

  it('splits filter lists and refuses filters of the wrong type', () => {
    const s = readTriggerSettings({ severity: 'high, medium', statusFilter: 'new', serviceSource: ['microsoftDefenderForEndpoint'], assignedTo: ' a@b.c ' });
    assert.deepEqual(s.filters.severity, ['high', 'medium']);
    assert.deepEqual(s.filters.serviceSource, ['microsoftDefenderForEndpoint']);
    assert.equal(s.filters.assignedTo, 'a@b.c');
    assert.deepEqual(s.filters.status, ['new']);
    assert.throws(() => readTriggerSettings({ severity: 3 }), /severity filter must be text/);
    // What a property named "status" would hold after the editor showed the node's status.
    assert.throws(() => readTriggerSettings({ statusFilter: { fill: 'green', shape: 'dot', text: '3 alerts' } }), /status filter must be text/);
    assert.throws(() => readTriggerSettings({ assignedTo: 42 }), /assigned-to filter must be text/);
  });
});

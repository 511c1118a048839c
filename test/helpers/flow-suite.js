'use strict';
// Hooks every flow suite needs: one admin server per file, and after each test the flows
// unloaded and the test's simulators closed, so no test sees another's state.
const { before, after, afterEach } = require('node:test');
const { helper } = require('./node-red');
const { closeSimulators } = require('./sim');

function useFlowSuite() {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(async () => {
    await helper.unload();
    await closeSimulators();
  });
}

module.exports = { useFlowSuite };

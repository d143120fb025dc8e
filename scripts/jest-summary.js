#!/usr/bin/env node
// Restates jest's result from the JUnit report it wrote as one line CI reads:
// "jest: N passed, M failed". Usage: node scripts/jest-summary.js [test-reports/junit.xml]
'use strict';
const fs = require('fs');
const file = process.argv[2] || 'test-reports/junit.xml';
if (!fs.existsSync(file)) {
  console.log(`jest: no report (${file} missing: jest did not run)`);
  process.exit(0);
}
const xml = fs.readFileSync(file, 'utf8');
const attr = (name) => Number((new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(xml) || [])[1] || 0);
const tests = attr('tests');
const failed = attr('failures') + attr('errors');
console.log(`jest: ${tests - failed} passed, ${failed} failed`);

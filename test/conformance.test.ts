import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasConformance, skip } from './support/paths.js';
import { loadCases, runPlugin } from './support/conformance.js';

test('bpf_conformance: 313/313 through the plugin, interpreter tier', async () => {
  if (!hasConformance) return skip('../shared/bpf_conformance is absent');
  const cases = loadCases();
  assert.is(cases.length, 313);
  const results = await runPlugin(cases, ['--tier', 'interpreter']);
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`NOTE: conformance interpreter ${results.length - failed.length}/${results.length}\n`);
  assert.equal(failed.map((f) => `${f.name}: ${f.detail}`), []);
});

test('bpf_conformance: 313/313 through the plugin, jit tier', async () => {
  if (!hasConformance) return skip('../shared/bpf_conformance is absent');
  const cases = loadCases();
  const results = await runPlugin(cases, ['--tier', 'jit']);
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`\nNOTE: conformance jit ${results.length - failed.length}/${results.length}\n`);
  assert.equal(failed.map((f) => `${f.name}: ${f.detail}`), []);
});

test.run();

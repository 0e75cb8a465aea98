/**
 * src/maps/header.ts mirrors assembly/common.ts's map header for code that
 * reads it directly (the JIT's tail calls and inlined array lookups): checked
 * here against live maps, so a layout change in the kernels fails this test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T } from '../src/maps/constants.js';
import { MAP_HEADER } from '../src/maps/header.js';

test('array header: type, max_entries, element stride and data address as the kernels lay them out', () => {
  const maps = newMaps(1);
  const k = maps.kernels.exports;
  for (const [valueSize, maxEntries] of [[4, 10], [12, 3], [64, 1000]] as const) {
    const fd = maps.bpf_map_create(T.array, 'a', 4, valueSize, maxEntries);
    const h = maps.map(fd).handle;
    const mem = (): DataView => new DataView(maps.bytes().buffer);
    assert.is(mem().getUint32(h + MAP_HEADER.type, true), T.array);
    assert.is(mem().getUint32(h + MAP_HEADER.maxEntries, true), maxEntries);
    assert.is(mem().getUint32(h + MAP_HEADER.valueStride, true), Math.ceil(valueSize / 8) * 8);
    const key = k.heap_alloc(8);
    for (const i of [0, 1, maxEntries - 1]) {
      mem().setUint32(key, i, true);
      const want = mem().getUint32(h + MAP_HEADER.arrayData, true) + i * mem().getUint32(h + MAP_HEADER.valueStride, true);
      assert.is(k.map_lookup_elem(h, key), want, `value ${valueSize} index ${i}`);
    }
    mem().setUint32(key, maxEntries, true);
    assert.is(k.map_lookup_elem(h, key), 0, 'past the end');
  }
});

test.run();

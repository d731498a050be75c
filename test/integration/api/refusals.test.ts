// The apiserver alone, with no webhook running, refuses what the schema and its CEL rules forbid,
// and names the same field that validate() names for the same object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespaceSuite } from '../../support/suite.ts';
import { INVALID, UPDATES } from '../../unit/api/fixtures/objects.ts';
import { installCrds, k, kOk, namesField } from './kubectl-api.ts';

const nameOf = (o: Record<string, unknown>) => (o.metadata as { name: string }).name;

describe('the apiserver refuses invalid Engula objects by itself', () => {
  const suite = namespaceSuite('api-refusals', { install: installCrds });

  for (const c of INVALID) {
    it(`refuses ${c.what}, naming ${c.field}`, async () => {
      const ns = suite.ns();
      const r = await k(['create', '-n', ns, '-f', '-'], JSON.stringify(c.object));
      assert.notEqual(r.code, 0, `created: ${r.stdout}`);
      assert.ok(namesField(r.stderr, c.field), `error does not name ${c.field}:\n${r.stderr}`);
      const got = await k(['get', '-n', ns, c.kind.toLowerCase(), nameOf(c.object)]);
      assert.match(got.stderr, /NotFound|not found/);
    });
  }

  for (const c of UPDATES) {
    it(`${c.field ? 'refuses' : 'allows'} ${c.what}`, async () => {
      const ns = suite.ns();
      const name = `${nameOf(c.before)}-${c.kind.toLowerCase()}`;
      const withName = (o: Record<string, unknown>) => ({ ...o, metadata: { name } });
      await kOk(['create', '-n', ns, '-f', '-'], JSON.stringify(withName(c.before)));
      const r = await k(['replace', '-n', ns, '-f', '-'], JSON.stringify(withName(c.after)));
      if (c.field) {
        assert.notEqual(r.code, 0, `replaced: ${r.stdout}`);
        assert.ok(namesField(r.stderr, c.field), `error does not name ${c.field}:\n${r.stderr}`);
      } else {
        assert.equal(r.code, 0, r.stderr);
      }
    });
  }
});

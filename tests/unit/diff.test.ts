import { describe, expect, it } from 'vitest';
import { usePolicyFixture } from '../support/policy-fixture.js';
import { BACKSLASHES, JSON_CREDENTIAL, PEM, TABS, UNICODE } from '../support/secret-values.js';

const f = usePolicyFixture();

describe('diff', () => {
  it('shows a unified diff of the rendered compose with secret values masked', async () => {
    const r = await f.say('diff shop 1', 'console:vera');
    expect(r.text).toBe(
      'Changes from shop v3 (running, succeeded) to shop v1 (secret values masked):',
    );
    expect(r.block).toContain('-    image: otto-test:v2');
    expect(r.block).toContain('+    image: otto-test:v1');
    expect(r.block?.join('\n')).not.toContain('hunter2');
    expect(r.block?.join('\n')).toContain('TOKEN: ••••••(TOKEN)');
    const file = await f.say('diff shop', 'console:vera');
    expect(file.block).toContain('+    image: otto-test:v3');
    expect((await f.say('diff shop 1 1', 'console:vera')).text).toBe(
      'No changes: shop v1 renders the same as shop v1.',
    );
  });

  it('masks multi-line and escaped secret values on the data, before YAML serializes them', async () => {
    for (const [i, value] of [PEM, JSON_CREDENTIAL, BACKSLASHES, TABS, UNICODE].entries()) {
      await f.ops.secrets.set('duo', 'TOKEN', value);
      const r = await f.say(`diff duo ${i % 2 ? '1 2' : '2 1'}`, 'console:root');
      const shown = [r.text, ...(r.block ?? [])].join('\n');
      for (const leak of ['MIIEvQ', 'MzEfYy', 'f3c9a1b2c3d4e5f6', 'vault', 'separated', 'ñandú'])
        expect(shown).not.toContain(leak);
      expect(shown).toContain('TOKEN: ••••••(TOKEN)');
    }
    await f.ops.secrets.set('duo', 'TOKEN', 'hunter2-very-secret');
  });
});

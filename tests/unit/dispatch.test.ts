import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpReply } from '../../src/commands/catalog.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { buildConfig } from '../../src/config/config.js';
import { openOps, type Ops } from '../../src/ops/ops.js';
import { NGINX, testOps } from '../support/test-ops.js';

const source = { actor: 'console:tester', channel: 'test', platform: 'console' as const };
let ops: Ops;

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { laptop: { local: true } },
      fleets: { shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' } },
    },
    { files: { 'stacks/shop.yml': NGINX } },
  );
});
afterAll(async () => {
  await ops.close();
});

describe('dispatch', () => {
  it('answers help with every command and an example', async () => {
    const r = await dispatch(ops, 'help', source);
    expect(r.outcome).toBe('ok');
    expect(r.fields?.map((f) => f.label.split(' <')[0]?.split(' [')[0])).toEqual([
      'help',
      'fleets',
      'status',
      'logs',
      'logs stop',
      'top',
      'restart',
      'scale',
      'history',
      'diff',
      'launch',
      'rollback',
      'approve',
      'deny',
      'lock',
      'unlock',
      'alerts',
      'silence',
      'audit',
      'outposts',
      'outpost drain',
      'outpost activate',
      'outpost label',
      'outpost add',
      'outpost cancel',
      'outpost remove',
      'doctor',
      'outpost list',
      'previews',
      'adopt',
      'token create',
      'token list',
      'token revoke',
      'secret set',
      'secret list',
      'secret rekey',
      'registry login',
    ]);
    for (const f of r.fields ?? []) expect(f.value).toMatch(/ · e\.g\. \w+/);
    // In chat, commands that read a typed secret are neither listed nor run.
    const chat = { actor: 'slack:U1', channel: 'slack:C1', platform: 'slack' as const };
    expect(helpReply(false).fields?.some((f) => f.label.startsWith('secret'))).toBe(false);
    const refused = await dispatch(ops, 'secret set shop API_KEY', chat);
    expect(refused.outcome).toBe('refused');
    expect(refused.text).toContain("typed only on Otto's own machine, never in chat");
    // In the console (or otto say) there is no hidden input: Otto says which shell command to run.
    const inConsole = await dispatch(ops, 'secret set shop API_KEY', source);
    expect(inConsole.outcome).toBe('usage');
    expect(inConsole.fix).toContain('otto secret set shop API_KEY');
  });

  it('treats unknown commands, wrong argument counts and unknown options as usage errors', async () => {
    expect(await dispatch(ops, 'frobnicate', source)).toMatchObject({
      outcome: 'usage',
      text: expect.stringContaining('doesn\'t know the command "frobnicate"'),
    });
    expect(await dispatch(ops, 'launch', source)).toMatchObject({
      outcome: 'usage',
      text: 'Usage: launch <fleet> [service=image-or-tag …] [--ref <branch|tag|sha>] [--dry-run]',
    });
    expect(await dispatch(ops, 'launch shop --force', source)).toMatchObject({
      outcome: 'usage',
      text: expect.stringContaining('launch has no option --force'),
    });
    expect(await dispatch(ops, 'history shop --limit 0', source)).toMatchObject({
      outcome: 'usage',
    });
    expect(await dispatch(ops, `status ${'x'.repeat(3000)}`, source)).toMatchObject({
      outcome: 'usage',
      text: expect.stringContaining('at most 2000'),
    });
  });

  it('refuses names that are not fleet names before looking anything up', async () => {
    const r = await dispatch(ops, 'launch ../../etc', source);
    expect(r).toMatchObject({
      outcome: 'usage',
      text: expect.stringContaining('is not a fleet name'),
    });
  });

  it("answers empty states in Otto's voice", async () => {
    expect((await dispatch(ops, 'history shop', source)).text).toBe(
      'No launches of shop yet. Ready for your first mission? Try: launch shop',
    );
    expect((await dispatch(ops, 'fleets', source)).fields?.[0]).toMatchObject({
      label: 'shop',
      value: expect.stringContaining('never launched'),
    });
  });
});

describe('openOps', () => {
  it('says so when data_dir cannot hold the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-ops-'));
    writeFileSync(join(dir, 'a-file'), '');
    const config = buildConfig(
      { data_dir: 'a-file/data', clusters: { l: { local: true } } },
      dir,
      join(dir, 'otto.yml'),
    );
    await expect(openOps(config, { env: {} })).rejects.toThrow(
      /can't open its database in .*a-file\/data/,
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OttoError } from '../../src/errors.js';
import { launch } from '../../src/ops/launch.js';
import type { Ops } from '../../src/ops/ops.js';
import { RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

/**
 * A file Otto can't launch as Docker would read it is refused before anything
 * happens: no docker command sent, no lock taken, no deployment recorded, and a
 * message that names the construct with its fix.
 */
const FILES: Record<string, [string, RegExp]> = {
  typed: [
    'services:\n  web:\n    image: nginx\n    deploy: {replicas: "${N}"}\n',
    /services.web.deploy.replicas is "\$\{N\}", which is "two" once filled in, and Docker needs a whole number there/,
  ],
  required: [
    'services:\n  web:\n    image: nginx:${TAG:?set TAG to the release}\n',
    /needs TAG: set TAG to the release/,
  ],
  ambiguous: [
    'services:\n  web:\n    image: $PREFIX-web\n',
    /\$PREFIX-web, which docker stack deploy reads as \$\{PREFIX-web\}/,
  ],
  envfile: [
    'services:\n  web:\n    image: nginx\n    env_file: [web.env]\n',
    /services.web.env_file, a file of variables/,
  ],
  missing: ['services:\n  web:\n    image: nginx:${TAG}\n', /TAG/],
  badkey: ['services:\n  web:\n    image: nginx\n    sysctls:\n      1: x\n', /not a string/],
};

describe('refusals before anything is locked or recorded', () => {
  const manager = new RecordingTransport({});
  let ops: Ops;

  beforeAll(async () => {
    ops = await testOps(
      {
        clusters: { laptop: { local: true } },
        fleets: Object.fromEntries(
          Object.keys(FILES).map((f) => [
            f,
            { cluster: 'laptop', compose_file: `stacks/${f}.yml` },
          ]),
        ),
      },
      {
        files: Object.fromEntries(
          Object.entries(FILES).map(([f, [text]]) => [`stacks/${f}.yml`, text]),
        ),
        transport: manager,
      },
    );
    await ops.secrets.set('typed', 'N', 'two');
  });
  afterAll(async () => {
    await ops.close();
  });

  it.each(Object.entries(FILES))('%s', async (name, [, message]) => {
    const fleet = ops.config.fleets.get(name)!;
    const error = await launch(ops, { fleet, actor: 'console:t' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OttoError);
    expect((error as OttoError).message).toMatch(message);
    expect((error as OttoError).fix).toBeTruthy();
    expect(manager.calls).toEqual([]);
    expect(await ops.locks.get(name)).toBeUndefined();
    expect(await ops.deployments.list(name, 10)).toEqual([]);
  });
});

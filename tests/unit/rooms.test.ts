import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The rooms of src/ and the one direction data flows (DESIGN.md): `npm run lint`
// refuses an import that runs back up. Linted as if the code sat at `filePath`.

const eslint = new ESLint({ cwd: resolve(import.meta.dirname, '../..') });

async function refusals(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('the rooms of src/', () => {
  it('refuses an import from a room above', async () => {
    const up = await refusals(
      'src/store/upward-fixture.ts',
      "import { dispatch } from '../commands/dispatch.js';\nexport const d = dispatch;\n",
    );
    expect(up).toHaveLength(1);
    expect(up[0]).toContain('src/store/ sits below');
    expect(
      await refusals(
        'src/swarm/upward-fixture.ts',
        "import type { Ops } from '../ops/ops.js';\nexport type O = Ops;\n",
      ),
    ).toHaveLength(1);
    expect(
      await refusals(
        'src/commands/upward-fixture.ts',
        "import { startTelemetry } from '../watch/telemetry.js';\nexport const s = startTelemetry;\n",
      ),
    ).toHaveLength(1);
    expect(
      await refusals(
        'src/config/upward-fixture.ts',
        "import { openDb } from '../store/db.js';\nexport const o = openDb;\n",
      ),
    ).toHaveLength(1);
  });

  it('lets a room import the rooms below it', async () => {
    expect(
      await refusals(
        'src/adapters/downward-fixture.ts',
        "import { dispatch } from '../commands/dispatch.js';\nimport { openDb } from '../store/db.js';\nexport const d = [dispatch, openDb];\n",
      ),
    ).toEqual([]);
    expect(
      await refusals(
        'src/ops/downward-fixture.ts',
        "import { stackDeploy } from '../swarm/argv.js';\nexport const s = stackDeploy;\n",
      ),
    ).toEqual([]);
  });
});

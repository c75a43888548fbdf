import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as approvalsAudit from './0002-approvals-audit.js';
import * as approvalCards from './0003-approval-cards.js';
import * as telemetry from './0004-telemetry.js';
import * as shields from './0005-shields.js';
import * as lockRequest from './0006-lock-request.js';
import * as exactReturns from './0007-exact-returns.js';
import * as outposts from './0008-outposts.js';
import * as gitSources from './0009-git-sources.js';
import * as imageOverrides from './0010-image-overrides.js';
import * as apiTokens from './0011-api-tokens.js';
import * as previews from './0012-previews.js';
import * as operations from './0013-operations.js';
import * as lease from './0014-lease.js';

/**
 * Every migration, in order. Listed here (rather than read from the folder at run
 * time) so that the compiled bot and the TypeScript tests load the same set.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-approvals-audit': approvalsAudit,
  '0003-approval-cards': approvalCards,
  '0004-telemetry': telemetry,
  '0005-shields': shields,
  '0006-lock-request': lockRequest,
  '0007-exact-returns': exactReturns,
  '0008-outposts': outposts,
  '0009-git-sources': gitSources,
  '0010-image-overrides': imageOverrides,
  '0011-api-tokens': apiTokens,
  '0012-previews': previews,
  '0013-operations': operations,
  '0014-lease': lease,
};

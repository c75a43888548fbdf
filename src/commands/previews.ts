import type { FleetConfig, OttoConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { closePreview, openPreview, type PullRequest } from '../ops/previews.js';
import type { Ops } from '../ops/ops.js';
import { shortSha } from '../ops/git-repos.js';
import { previewFleetName } from '../swarm/preview.js';
import { userText } from '../user-text.js';
import { findFleet } from './fleet-lookup.js';
import type { Deployment } from '../store/db.js';
import type { Preview } from '../store/previews.js';
import type { Context, Reply } from './types.js';
import { normalizeRepo } from './webhook-push.js';

/** The fleets with `previews:` whose repository is one of `repoUrls`. */
export function previewParents(config: Pick<OttoConfig, 'fleets'>, repoUrls: readonly string[]) {
  const urls = new Set(repoUrls.map(normalizeRepo));
  return [...config.fleets.values()].filter(
    (f): f is FleetConfig =>
      f.previews !== undefined && f.source.kind === 'git' && urls.has(normalizeRepo(f.source.repo)),
  );
}

/** What became of one preview. */
export interface PreviewResult {
  readonly fleet: string;
  readonly outcome: 'ok' | 'failed';
  readonly text: string;
}

/**
 * A pull request opened, pushed to or closed: its preview of each fleet that has
 * `previews:` is launched (again) or removed, as `actor`, and audited like a
 * command (`preview shop #42`).
 */
export async function previewEvent(
  ops: Ops,
  parents: readonly FleetConfig[],
  action: 'open' | 'close',
  pr: PullRequest,
  actor: string,
  signal?: AbortSignal,
): Promise<PreviewResult[]> {
  const results: PreviewResult[] = [];
  for (const parent of parents) {
    const started = performance.now();
    const name = previewFleetName(parent.name, pr.number);
    let result: PreviewResult;
    try {
      if (action === 'open') {
        const { outcome } = await openPreview(ops, parent, pr, actor, signal);
        result = {
          fleet: name,
          outcome: outcome.ok ? 'ok' : 'failed',
          text: outcome.ok
            ? `Preview ${name} of #${pr.number} is in orbit (v${outcome.deployment.version}, ${shortSha(pr.sha)}).`
            : `Preview ${name} of #${pr.number} failed to launch: ${outcome.failure?.message ?? 'unknown reason'}`,
        };
      } else {
        const live = await ops.previews.get(name);
        if (live) await closePreview(ops, live, signal);
        result = {
          fleet: name,
          outcome: 'ok',
          text: live
            ? `Preview ${name} of #${pr.number} removed.`
            : `No preview ${name} to remove.`,
        };
      }
    } catch (e) {
      if (!(e instanceof OttoError)) throw e;
      result = { fleet: name, outcome: 'failed', text: e.message };
    }
    results.push(result);
    await ops.audit
      .record({
        actor,
        platform: 'api',
        channel: 'webhook',
        command: `preview ${action} ${parent.name} #${pr.number} ${shortSha(pr.sha)}`,
        fleet: parent.name,
        outcome: result.outcome,
        summary: result.text,
        durationMs: performance.now() - started,
      })
      .catch(() => {});
  }
  return results;
}

/** `previews [fleet]`: the live pull request previews, with their domain, commit and expiry. */
export async function previewsCommand(ctx: Context): Promise<Reply> {
  const name = ctx.command.args[0];
  const parent = name ? findFleet(ctx.ops, name, ctx.command) : undefined;
  const visible = new Set(
    [...ctx.ops.config.fleets.values()].filter((f) => ctx.role(f) !== 'none').map((f) => f.name),
  );
  const rows = (await ctx.ops.previews.list(parent?.name)).filter((p) => visible.has(p.parent));
  if (rows.length === 0)
    return {
      outcome: 'ok',
      text: parent ? `No previews of ${parent.name} in orbit.` : 'No previews in orbit.',
    };
  return {
    outcome: 'ok',
    text: `${rows.length} preview${rows.length === 1 ? '' : 's'} in orbit:`,
    fields: rows.map((p) => ({
      label: p.fleet,
      value: `#${p.number} (${userText(p.headRef)}) at ${shortSha(p.headSha)} · https://${p.domain} · by ${userText(p.openedBy)} · until ${p.expiresAt.slice(0, 16).replace('T', ' ')} UTC`,
    })),
  };
}

/**
 * The one chat message of a preview, as it stands: its pull request, branch,
 * commit, domain and its newest launch; or that it was removed.
 */
export function previewMessage(p: Preview, latest: Deployment | undefined): Reply {
  const head = `#${p.number} (${userText(p.headRef)}) at ${shortSha(p.headSha)}`;
  if (p.state === 'closed')
    return { outcome: 'ok', text: `🧹 Preview ${p.fleet} of ${head} was removed.` };
  const launch = !latest
    ? '🚀 launching'
    : latest.status === 'succeeded'
      ? `🟢 v${latest.version} in orbit`
      : latest.status === 'deploying'
        ? `🚀 v${latest.version} launching`
        : `🔴 v${latest.version} ${latest.status}${latest.reason ? `: ${userText(latest.reason)}` : ''}`;
  return {
    outcome: latest?.status === 'failed' ? 'failed' : 'ok',
    text: `🔭 Preview ${p.fleet} of ${head}: ${launch}.`,
    fields: [
      { label: 'Domain', value: `https://${p.domain}` },
      { label: 'Until', value: `${p.expiresAt.slice(0, 16).replace('T', ' ')} UTC` },
    ],
  };
}

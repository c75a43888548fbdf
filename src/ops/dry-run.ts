import type { FleetConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import type { SecretStore } from '../store/secrets.js';
import { stackConfig } from '../swarm/argv.js';
import { sendCompose } from '../swarm/compose-version.js';
import type { RecordedCommit } from '../store/db.js';
import type { FleetSources } from './fleet-source.js';
import { displayCompose } from '../swarm/diff.js';
import type { Transport } from '../transport/transport.js';
import { prepareCompose, type PreparedCompose } from './render.js';

/** What Docker said of a rendered file, asked without deploying it. */
export type Verdict =
  /** `docker stack config` read the file without complaint. */
  | { readonly kind: 'accepted' }
  /** Docker refused the file: its own words, first lines only, secrets masked. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** The manager's docker CLI predates `docker stack config` (Docker 20.10). */
  | { readonly kind: 'unavailable' }
  /** Otto could not get an answer from the manager: the transport's words, masked. */
  | { readonly kind: 'unreachable'; readonly reason: string; readonly fix?: string | undefined }
  /** Not asked: an offline render. */
  | { readonly kind: 'offline' };

/** A launch that was only rendered: what it would send, and Docker's verdict on it. */
export interface DryRun {
  /** The compose source as read (the fleet's file or repository): the "to" side of a diff. */
  readonly text: string;
  /** Where it was read from, for messages. */
  readonly label: string;
  /** A git fleet's commit it was read at. */
  readonly commit?: RecordedCommit;
  /** The rendered compose for people: secret values masked, `$` as the services get it. */
  readonly display: string;
  readonly verdict: Verdict;
  /** Who gave the verdict (`deploy@10.0.0.1:22`); absent offline. */
  readonly target?: string;
}

export interface DryRunDeps {
  readonly secrets: SecretStore;
  readonly sources: FleetSources;
  transport(cluster: string): Transport;
}

export interface DryRunRequest {
  readonly fleet: FleetConfig;
  /** Render only: do not ask the Swarm (CI without access to the cluster). */
  readonly offline?: boolean;
  /** A git fleet's branch, tag or SHA (default: `git.ref`, or the default branch). */
  readonly ref?: string;
  /** Images given, by service (`launch shop web=1.4.2 --dry-run`). */
  readonly overrides?: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal | undefined;
}

/** How long Docker may take to read a file; it deploys nothing, so this is generous. */
export const VERDICT_TIMEOUT_MS = 60_000;

/** At most this many lines of Docker's refusal are kept. */
const REASON_LINES = 4;

/**
 * Renders a fleet's compose exactly as a launch would and asks the manager's
 * Docker what it makes of it, with `docker stack config -c -`: the one command
 * sent. Nothing is locked, recorded or deployed. Throws the same OttoError
 * refusal a launch would (a missing secret, a file Otto can't read) before
 * anything is sent.
 *
 * @example
 * const dry = await dryRun(ops, { fleet });
 * if (dry.verdict.kind === 'refused') console.log(dry.verdict.reason);
 */
export async function dryRun(deps: DryRunDeps, req: DryRunRequest): Promise<DryRun> {
  const { fleet } = req;
  const prepared = await prepareCompose(deps, {
    fleet,
    ...(req.ref !== undefined ? { ref: req.ref } : {}),
    ...(req.overrides?.size ? { overrides: req.overrides } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const display = await displayCompose(
    deps,
    fleet,
    { label: prepared.label, text: prepared.text },
    req.overrides?.size ? { overrides: req.overrides } : {},
  );
  const read = {
    text: prepared.text,
    label: prepared.label,
    ...(prepared.commit ? { commit: prepared.commit } : {}),
  };
  if (req.offline) return { ...read, display, verdict: { kind: 'offline' } };
  const transport = deps.transport(fleet.cluster);
  const verdict = await dockerVerdict(transport, prepared, req.signal);
  return { ...read, display, verdict, target: transport.target };
}

/**
 * Sends the rendered text, as `docker stack deploy` would receive it, to
 * `docker stack config -c -`. Its stdout echoes the file with the secrets filled
 * in: it is never kept. Only a transport failure becomes `unreachable`; an
 * abort, or an error that is not Otto's, is thrown.
 */
export async function dockerVerdict(
  transport: Transport,
  prepared: PreparedCompose,
  signal?: AbortSignal,
): Promise<Verdict> {
  let exitCode: number;
  let stderr: string;
  try {
    ({ exitCode, stderr } = await sendCompose(prepared.rendered.text, (text) =>
      transport.run(stackConfig(), {
        stdin: text,
        timeoutMs: VERDICT_TIMEOUT_MS,
        ...(signal ? { signal } : {}),
      }),
    ));
  } catch (e) {
    if (signal?.aborted || !(e instanceof OttoError)) throw e;
    return { kind: 'unreachable', reason: prepared.mask.mask(e.message), fix: e.fix };
  }
  if (exitCode === 0) return { kind: 'accepted' };
  // Docker quotes the file as it read it: `$` undoubled, so a secret shows as itself and is masked.
  const said = prepared.mask.mask(stderr.replace(/\$\$/g, '$'));
  if (/unknown command|is not a docker command/i.test(said)) return { kind: 'unavailable' };
  return { kind: 'refused', reason: firstLines(said) || `docker stack config exited ${exitCode}` };
}

/** Docker's message without the CLI's help hints: its first few lines, each cut to a sensible length. */
function firstLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^(Usage:|See 'docker|Run 'docker)/.test(l))
    .slice(0, REASON_LINES)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)} …` : l))
    .join('\n');
}

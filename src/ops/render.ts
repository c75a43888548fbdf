import type { FleetConfig } from '../config/config.js';
import { RefusedError, UsageError } from '../errors.js';
import { imageAllowed } from '../swarm/image-override.js';
import {
  imageRegistry,
  parseCompose,
  renderCompose,
  type ParsedCompose,
  type RenderedCompose,
} from '../swarm/compose.js';
import type { RecordedCommit } from '../store/db.js';
import { pinsOf, type Deployments } from '../store/deployments.js';
import type { FleetSources } from './fleet-source.js';
import type { SecretMask } from '../store/secret-mask.js';
import { maskOf, type RegistryLogin, type SecretStore } from '../store/secrets.js';

export interface RenderRequest {
  readonly fleet: FleetConfig;
  /** Compose text to render instead of the fleet's file (a stored snapshot). */
  readonly composeText?: string;
  /** The commit `composeText` was read at, for a git fleet (a return records it again). */
  readonly commit?: RecordedCommit;
  /** Where `composeText` came from, for messages (default: the stored compose of the fleet). */
  readonly label?: string;
  /** Images given for this launch, by service (`launch shop web=1.4.2`): checked against `images:`. */
  readonly overrides?: ReadonlyMap<string, string>;
  /** A return to this version: its images were checked when it was launched, and run again as they are. */
  readonly rollbackOf?: number;
  /** A git fleet's branch, tag or SHA to read (default: `git.ref`, or the remote's default branch). */
  readonly ref?: string;
  readonly signal?: AbortSignal;
  /** Images to run instead of the file's, by service (a rollback's recorded digests). */
  readonly pins?: ReadonlyMap<string, string>;
}

/** A fleet's compose, read, checked and rendered: everything a launch sends, before anything is locked. */
export interface PreparedCompose {
  /** The compose source as read (the file, the repository, or the stored snapshot). */
  readonly text: string;
  /** Where it was read from, for messages. */
  readonly label: string;
  /** A git fleet's commit it was read at. */
  readonly commit?: RecordedCommit;
  readonly parsed: ParsedCompose;
  readonly rendered: RenderedCompose;
  /** Logins for the registries the rendered images come from. */
  readonly logins: readonly RegistryLogin[];
  /** Hides the fleet's secrets and its cluster's registry passwords in what is shown. */
  readonly mask: SecretMask;
}

/**
 * Reads, validates and renders a fleet's compose; throws an OttoError (a refusal
 * that names the construct and its fix) before anything is locked or recorded.
 */
export async function prepareCompose(
  deps: { readonly secrets: SecretStore; readonly sources: FleetSources },
  req: RenderRequest,
): Promise<PreparedCompose> {
  const { fleet } = req;
  const { text, label, commit } =
    req.composeText !== undefined
      ? {
          text: req.composeText,
          label: req.label ?? `the stored compose of ${fleet.name}`,
          commit: req.commit,
        }
      : await deps.sources.read(fleet, req.ref, req.signal);
  const parsed = parseCompose(text, label);
  const overrides = req.overrides ?? new Map<string, string>();
  // A return runs what its version ran, checked when that was launched, even if
  // otto.yml lists other images now; anything else must be on the fleet's list.
  const checked = req.rollbackOf ? new Map<string, string>() : overrides;
  checkOverrideServices(fleet, [...parsed.services.keys()], checked);
  const secretValues = await deps.secrets.values(fleet.secretsOf ?? fleet.name);
  const rendered = renderCompose(parsed, fleet.name, secretValues, {
    ...(req.pins ? { pins: req.pins } : {}),
    ...(overrides.size ? { overrides } : {}),
  });
  // After interpolation: `image: ${REGISTRY}/app:1` logs in to the registry it names.
  const registries = new Set([...rendered.images.values()].map(imageRegistry));
  const all = await deps.secrets.registries(fleet.cluster);
  const mask = maskOf(secretValues, all);
  for (const service of checked.keys())
    checkAllowed(fleet, service, mask.mask(rendered.images.get(service) ?? ''), rendered.images);
  const logins = all.filter((r) => registries.has(r.registry));
  return { text, label, ...(commit ? { commit } : {}), parsed, rendered, logins, mask };
}

/**
 * The images a return to `fleet` v`version` pins, by service: `repo:tag@sha256:…`
 * for each service that ran from a registry's digest. A service with no recorded
 * digest (a local image, or a launch recorded before digests were) runs its tag.
 */
export async function returnPins(
  deps: { readonly deployments: Deployments },
  fleet: string,
  version: number,
): Promise<Map<string, string>> {
  return pinsOf(await deps.deployments.imagesAt(fleet, version));
}

/** Each overridden service is one of the fleet's, and the fleet lists images for it. */
function checkOverrideServices(
  fleet: FleetConfig,
  services: readonly string[],
  overrides: ReadonlyMap<string, string>,
): void {
  for (const service of overrides.keys()) {
    if (!services.includes(service))
      throw new UsageError(
        `Fleet ${fleet.name} has no service named ${service}, so Otto can't run an image for it.`,
        `Its services: ${services.join(', ')}.`,
      );
    if (!fleet.images.has(service))
      throw new RefusedError(
        `Fleet ${fleet.name} takes no image for ${service} from a launch: fleets.${fleet.name}.images.${service} is not set. Nothing was launched.`,
        `To allow it, list the images ${service} may run in otto.yml, for example images: { ${service}: "ghcr.io/acme/${service}:*" }.`,
      );
  }
}

/** The image an override makes `service` run is one its patterns allow (`shown`: masked, for the message). */
function checkAllowed(
  fleet: FleetConfig,
  service: string,
  shown: string,
  images: ReadonlyMap<string, string>,
): void {
  const patterns = fleet.images.get(service) ?? [];
  if (!imageAllowed(patterns, images.get(service) ?? ''))
    throw new RefusedError(
      `${shown} is not an image ${service} of ${fleet.name} may run: fleets.${fleet.name}.images.${service} allows ${patterns.join(' or ')}. Nothing was launched.`,
      `Give a tag or an image that matches ${patterns.join(' or ')} (a digest needs a pattern with @, such as name@*), or change the patterns in otto.yml.`,
    );
}

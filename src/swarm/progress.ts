/** Typed progress of a launch. Ops emit these; adapters decide how to show them. */
export type LaunchStage =
  | 'validating'
  | 'locking'
  | 'registry-login'
  | 'deploying'
  /** `docker stack rm` of this fleet is still removing its networks: waiting before deploying again. */
  | 'waiting-removal'
  | 'converging'
  | 'settling'
  /** on_failure: rollback is returning the fleet to `version`. */
  | 'returning';

export interface ServiceProgress {
  /** The compose service name (`web`), not the Swarm name (`myapp_web`). */
  readonly name: string;
  readonly running: number;
  readonly desired: number;
  readonly state: 'pending' | 'updating' | 'running' | 'failing';
  readonly note?: string | undefined;
}

export type LaunchEvent =
  | {
      readonly kind: 'stage';
      readonly fleet: string;
      readonly stage: LaunchStage;
      readonly version?: number;
    }
  | {
      readonly kind: 'services';
      readonly fleet: string;
      readonly services: readonly ServiceProgress[];
    };

export type ProgressListener = (event: LaunchEvent) => void;

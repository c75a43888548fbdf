/**
 * The parts of `docker service inspect` and `docker network inspect` that a compose
 * file can be rebuilt from. Every field is optional: Docker leaves out what is unset
 * (and older engines lack newer fields). Durations are nanoseconds.
 */

export type Labels = Readonly<Record<string, string>> | null;

export interface FileReference {
  readonly File?: {
    readonly Name?: string;
    readonly UID?: string;
    readonly GID?: string;
    readonly Mode?: number;
  };
  readonly SecretName?: string;
  readonly ConfigName?: string;
}

export interface SpecMount {
  readonly Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | string;
  readonly Source?: string;
  readonly Target?: string;
  readonly ReadOnly?: boolean;
  readonly BindOptions?: { readonly Propagation?: string };
  readonly VolumeOptions?: {
    readonly NoCopy?: boolean;
    readonly Labels?: Labels;
    readonly DriverConfig?: {
      readonly Name?: string;
      readonly Options?: Readonly<Record<string, string>> | null;
    };
  };
  readonly TmpfsOptions?: { readonly SizeBytes?: number; readonly Mode?: number };
}

export interface UpdateSpec {
  readonly Parallelism?: number;
  readonly Delay?: number;
  readonly FailureAction?: string;
  readonly Monitor?: number;
  readonly MaxFailureRatio?: number;
  readonly Order?: string;
}

export interface ResourceSpec {
  readonly NanoCPUs?: number;
  readonly MemoryBytes?: number;
  readonly Pids?: number;
}

export interface ContainerSpec {
  readonly Image?: string;
  readonly Labels?: Labels;
  readonly Command?: readonly string[] | null;
  readonly Args?: readonly string[] | null;
  readonly Env?: readonly string[] | null;
  readonly Dir?: string;
  readonly User?: string;
  readonly Hostname?: string;
  readonly TTY?: boolean;
  readonly OpenStdin?: boolean;
  readonly ReadOnly?: boolean;
  readonly Init?: boolean | null;
  readonly StopSignal?: string;
  readonly StopGracePeriod?: number;
  readonly Healthcheck?: {
    readonly Test?: readonly string[] | null;
    readonly Interval?: number;
    readonly Timeout?: number;
    readonly StartPeriod?: number;
    readonly StartInterval?: number;
    readonly Retries?: number;
  };
  readonly Hosts?: readonly string[] | null;
  readonly DNSConfig?: {
    readonly Nameservers?: readonly string[] | null;
    readonly Search?: readonly string[] | null;
    readonly Options?: readonly string[] | null;
  };
  readonly CapabilityAdd?: readonly string[] | null;
  readonly CapabilityDrop?: readonly string[] | null;
  readonly Sysctls?: Readonly<Record<string, string>> | null;
  readonly Ulimits?: readonly { Name: string; Soft: number; Hard: number }[] | null;
  readonly Mounts?: readonly SpecMount[] | null;
  readonly Secrets?: readonly FileReference[] | null;
  readonly Configs?: readonly FileReference[] | null;
}

export interface ServiceSpec {
  readonly Name: string;
  readonly Labels?: Labels;
  readonly TaskTemplate?: {
    readonly ContainerSpec?: ContainerSpec;
    readonly Resources?: { readonly Limits?: ResourceSpec; readonly Reservations?: ResourceSpec };
    readonly RestartPolicy?: {
      readonly Condition?: string;
      readonly Delay?: number;
      readonly MaxAttempts?: number;
      readonly Window?: number;
    };
    readonly Placement?: {
      readonly Constraints?: readonly string[] | null;
      readonly Preferences?: readonly { Spread?: { SpreadDescriptor?: string } }[] | null;
      readonly MaxReplicas?: number;
    };
    readonly Networks?: readonly NetworkAttachment[] | null;
    readonly LogDriver?: {
      readonly Name?: string;
      readonly Options?: Readonly<Record<string, string>> | null;
    };
  };
  readonly Mode?: {
    readonly Replicated?: { readonly Replicas?: number };
    readonly Global?: object;
    readonly ReplicatedJob?: {
      readonly MaxConcurrent?: number;
      readonly TotalCompletions?: number;
    };
    readonly GlobalJob?: object;
  };
  readonly UpdateConfig?: UpdateSpec | null;
  readonly RollbackConfig?: UpdateSpec | null;
  readonly EndpointSpec?: {
    readonly Mode?: string;
    readonly Ports?:
      | readonly {
          readonly Protocol?: string;
          readonly TargetPort?: number;
          readonly PublishedPort?: number;
          readonly PublishMode?: string;
        }[]
      | null;
  };
  /** Engines before 1.44 kept the networks here rather than in TaskTemplate. */
  readonly Networks?: readonly NetworkAttachment[] | null;
}

export interface NetworkAttachment {
  /** A network id: the engine turns the names of a deploy into ids. */
  readonly Target: string;
  readonly Aliases?: readonly string[] | null;
}

/** One element of `docker service inspect`'s array. */
export interface InspectedService {
  readonly Spec: ServiceSpec;
}

/** One line of `docker network inspect --format '{{json .}}'`. */
export interface InspectedNetwork {
  readonly Id: string;
  readonly Name: string;
  readonly Driver?: string;
  readonly Attachable?: boolean;
  readonly Labels?: Labels;
}

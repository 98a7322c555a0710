/**
 * What the user wrote, as in the file (kebab-case keys, every field optional). The shape follows
 * docker-bake.json (https://docs.docker.com/build/bake/reference/) plus tsbake's `builder` block,
 * `default-builder`, and the target keys `builder` and `depends-on`.
 */

export type Scalar = string | number | boolean;
/** Bake accepts `type=local,dest=out` strings and objects for outputs, caches, secrets and ssh. */
export type CsvOrObject = string | Record<string, Scalar>;

export interface VariableConfig {
  default?: Scalar | null;
  description?: string;
}

export interface BuilderConfig {
  /** One of the registry's drivers (the schema's enum, generated from src/drivers/registry.ts). */
  driver?: string;
  'driver-opts'?: Record<string, Scalar | Record<string, Scalar>>;
  endpoint?: string;
  platforms?: string[];
  'buildkitd-config'?: string;
  'buildkitd-config-inline'?: string;
  'buildkitd-flags'?: string;
  /** Maximum concurrent solves on this builder (unlimited when absent). */
  parallelism?: number;
  /** When this builder's targets push: `all` (after the whole run built) or `each` (as built). */
  push?: 'all' | 'each';
  description?: string;
  /** tsbake: the daemons of a multi-node builder (instead of the builder's own driver). */
  nodes?: BuilderNodeConfig[];
}

/** One daemon of a multi-node builder (tsbake YAML/JSON only; bake HCL has no nodes). */
export interface BuilderNodeConfig {
  name: string;
  /** One of the registry's drivers. */
  driver: string;
  'driver-opts'?: Record<string, Scalar | Record<string, Scalar>>;
  endpoint?: string;
  /** Platforms it builds natively; when absent, those its daemon reports. */
  platforms?: string[];
}

export interface GroupConfig {
  targets?: string[];
  description?: string;
}

export interface TargetConfig {
  context?: string;
  contexts?: Record<string, string>;
  dockerfile?: string;
  'dockerfile-inline'?: string;
  args?: Record<string, Scalar | null>;
  labels?: Record<string, Scalar | null>;
  tags?: string[];
  platforms?: string[];
  target?: string;
  'cache-from'?: CsvOrObject[];
  'cache-to'?: CsvOrObject[];
  output?: CsvOrObject[];
  secret?: CsvOrObject[];
  ssh?: CsvOrObject[];
  'no-cache'?: boolean;
  'no-cache-filter'?: string[];
  pull?: boolean;
  network?: string;
  'shm-size'?: string;
  ulimits?: string[];
  'extra-hosts'?: Record<string, string>;
  annotations?: string[];
  attest?: CsvOrObject[];
  entitlements?: string[];
  call?: string;
  description?: string;
  inherits?: string[];
  matrix?: Record<string, Scalar[]>;
  name?: string;
  builder?: string;
  'depends-on'?: string[];
}

export interface ConfigFile {
  variable?: Record<string, VariableConfig | Scalar | null>;
  builder?: Record<string, BuilderConfig>;
  'default-builder'?: string;
  group?: Record<string, GroupConfig>;
  target?: Record<string, TargetConfig>;
}

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** The result of loading: merged, schema-valid, variables interpolated (matrix axis references left as `${axis}`). */
export interface LoadedConfig {
  config: ConfigFile;
  /** Every file that contributed, in merge order (config files, then builders.yaml), absolute paths. */
  files: string[];
  /** Directory relative paths in the config are resolved against (the first -f file's directory). */
  baseDir: string;
  /** Where a key path was last defined, e.g. ['target', 'app', 'contexts', 'base']. */
  positionOf(path: readonly (string | number)[]): SourcePos | undefined;
  /** Values of declared variables after environment overrides (for `print` and matrix templates). */
  variables: Record<string, string>;
  /** Every declared variable (HCL's and tsbake YAML's), for `--list variables`. */
  variableList?: VariableInfo[];
}

/** A declared variable as `--list variables` shows it (buildx's hclparser.Variable). */
export interface VariableInfo {
  name: string;
  /** null: the variable is unset (a null default). */
  value: string | null;
  type?: string;
  description?: string;
}

export interface LoadOptions {
  /** -f files in order; empty means the default lookup in cwd. */
  files?: string[];
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** --var NAME=VALUE: over the environment. */
  vars?: Record<string, string>;
  /**
   * The driver's own checks of each builder (endpoint forms, settings the driver cannot use), run with
   * the file checks so they are reported with positions. The CLI passes the registry's
   * (src/drivers/capabilities.ts checkBuilderConfig).
   */
  checkBuilder?: (name: string, builder: BuilderConfig) => { path: (string | number)[]; part: 'key' | 'value'; message: string }[];
}

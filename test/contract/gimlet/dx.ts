import {
  any,
  bool,
  enumOf,
  type GoType,
  int64,
  map,
  ptr,
  type struct as Struct,
  slice,
  str,
  struct,
} from './go-json.ts';

/**
 * gimlet-io/gimlet `pkg/dx` structs and their json tags, per released CLI tag (read at the tags with
 * `git show <tag>:pkg/dx/{artifact,manifest,release}.go`):
 *
 * - cli-v0.20.0 (bundled by gimlet-artifact-shipper-action v0.8.x): Manifest without `omitempty` on
 *   chart/values/strategicMergePatches/json6902Patches/manifests (so `null` and `""` go out), Chart with
 *   three plain strings, no Tenant; ReleaseRequest {env, app omitempty, artifactId, triggeredBy};
 *   ReleaseStatus {status, statusDesc, results}.
 * - cli-v0.22.0 … cli-v0.27.0 (v0.25.0 is bundled by shipper v0.9.0): Manifest gains `Tenant Tenant
 *   json:"tenant,omitempty"` (a struct, so always `"tenant":{}`) and `omitempty` on the optional fields;
 *   Chart repository/version omitempty; `dependencies`; ReleaseRequest gains `Tenant string json:"tenant"`
 *   (always `"tenant":""`); Artifact gains `fake` (omitempty); ReleaseStatus gains `type`; Result gains
 *   `triggeredDeployRequestID`. cli-v0.27.0 adds `deploy.commitMessagePatterns` (omitempty).
 * - cli-v1.0.0-beta.1 (the newest cli-v* tag): Tenant gone from Manifest and ReleaseRequest; Manifest
 *   gains `preview *bool` (omitempty) after env.
 */
export const CLI_VERSIONS = ['cli-v0.20.0', 'cli-v0.25.0', 'cli-v0.27.0', 'cli-v1.0.0-beta.1'] as const;
export type CliVersion = (typeof CLI_VERSIONS)[number];

type Fields = Parameters<typeof Struct>[1];

const gitEvent = enumOf('push', 'tag', 'pr');
const cleanupEvent = enumOf('branchDeleted');

const version = struct('dx.Version', [
  ['repositoryName', str, 'omitempty'],
  ['sha', str, 'omitempty'],
  ['created', int64, 'omitempty'],
  ['branch', str, 'omitempty'],
  ['event', gitEvent, 'omitempty'],
  ['sourceBranch', str, 'omitempty'],
  ['targetBranch', str, 'omitempty'],
  ['tag', str, 'omitempty'],
  ['authorName', str, 'omitempty'],
  ['authorEmail', str, 'omitempty'],
  ['committerName', str, 'omitempty'],
  ['committerEmail', str, 'omitempty'],
  ['message', str, 'omitempty'],
  ['url', str, 'omitempty'],
]);

const target = struct('dx.Target', [
  ['group', str],
  ['version', str],
  ['kind', str],
  ['name', str],
]);
const json6902 = struct('dx.Json6902Patch', [
  ['patch', str],
  ['target', target],
]);
const cleanup = struct('dx.Cleanup', [
  ['app', str],
  ['event', cleanupEvent],
  ['branch', str, 'omitempty'],
]);

export interface Dx {
  version: CliVersion;
  Version: GoType;
  Manifest: GoType;
  Artifact: GoType;
  Release: GoType;
  ReleaseRequest: GoType;
  ReleaseStatus: GoType;
  /** `map[string]*dx.Release` (`StatusGet`). */
  StatusMap: GoType;
  /** `[]*dx.Release` (`ReleasesGet`). */
  Releases: GoType;
  /** `[]*dx.Artifact` (`ArtifactsGet`). */
  Artifacts: GoType;
}

export function dx(v: CliVersion): Dx {
  const old = v === 'cli-v0.20.0';
  const tenantEra = v === 'cli-v0.25.0' || v === 'cli-v0.27.0';
  const omit = old ? undefined : ('omitempty' as const);
  const deployFields: Fields = [
    ['tag', str, 'omitempty'],
    ['branch', str, 'omitempty'],
    ['event', ptr(gitEvent), 'omitempty'],
  ];
  if (v === 'cli-v0.27.0' || v === 'cli-v1.0.0-beta.1') {
    deployFields.push(['commitMessagePatterns', slice(str), 'omitempty']);
  }
  const chart = struct('dx.Chart', [
    ['repository', str, omit],
    ['name', str],
    ['version', str, omit],
  ]);
  const manifestFields: Fields = [
    ['app', str],
    ['env', str],
    ...(v === 'cli-v1.0.0-beta.1' ? ([['preview', ptr(bool), 'omitempty']] as Fields) : []),
    ['namespace', str],
    ['deploy', ptr(struct('dx.Deploy', deployFields)), 'omitempty'],
    ['cleanup', ptr(cleanup), 'omitempty'],
    ['chart', chart],
    ...(tenantEra
      ? ([['tenant', struct('dx.Tenant', [['name', str, 'omitempty']]), 'omitempty']] as Fields)
      : []),
    ['values', map(any), omit],
    ['strategicMergePatches', str, omit],
    ['json6902Patches', slice(json6902), omit],
    ['manifests', str, omit],
    ...(old
      ? []
      : ([
          [
            'dependencies',
            slice(
              struct('dx.Dependency', [
                ['name', str],
                ['kind', str],
                ['spec', any],
              ]),
            ),
            'omitempty',
          ],
        ] as Fields)),
  ];
  const Manifest = struct('dx.Manifest', manifestFields);
  const Artifact = struct('dx.Artifact', [
    ['id', str, 'omitempty'],
    ['created', int64, 'omitempty'],
    ['version', version, 'omitempty'],
    ['context', map(str), 'omitempty'],
    ['environments', slice(ptr(Manifest)), 'omitempty'],
    ['cueEnvironments', slice(str), 'omitempty'],
    ['items', slice(map(any)), 'omitempty'],
    ['vars', map(str), 'omitempty'],
    ...(old ? [] : ([['fake', bool, 'omitempty']] as Fields)),
  ]);
  const Release = struct('dx.Release', [
    ['app', str],
    ['env', str],
    ['artifactId', str],
    ['triggeredBy', str],
    ['version', ptr(version)],
    ['gitopsRef', str],
    ['gitopsRepo', str],
    ['gitopsCommitStatus', str],
    ['gitopsCommitStatusDesc', str],
    ['gitopsCommitCreated', int64, 'omitempty'],
    ['created', int64, 'omitempty'],
    ['rolledBack', bool, 'omitempty'],
  ]);
  const ReleaseRequest = struct('dx.ReleaseRequest', [
    ['env', str],
    ['app', str, 'omitempty'],
    ...(tenantEra ? ([['tenant', str]] as Fields) : []),
    ['artifactId', str],
    ['triggeredBy', str],
  ]);
  const resultFields: Fields = [
    ['app', str, 'omitempty'],
    ['hash', str, 'omitempty'],
    ['status', str, 'omitempty'],
    ['gitopsCommitStatus', str, 'omitempty'],
    ['gitopsCommitStatusDesc', str, 'omitempty'],
    ['env', str, 'omitempty'],
    ['statusDesc', str, 'omitempty'],
  ];
  if (!old) resultFields.push(['triggeredDeployRequestID', str, 'omitempty']);
  const ReleaseStatus = struct('dx.ReleaseStatus', [
    ...(old ? [] : ([['type', str]] as Fields)),
    ['status', str],
    ['statusDesc', str],
    ['results', slice(struct('dx.Result', resultFields))],
  ]);
  return {
    version: v,
    Version: version,
    Manifest,
    Artifact,
    Release,
    ReleaseRequest,
    ReleaseStatus,
    StatusMap: map(ptr(Release)),
    Releases: slice(ptr(Release)),
    Artifacts: slice(ptr(Artifact)),
  };
}

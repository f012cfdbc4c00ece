import { parse } from 'yaml';
import type { GimletCli } from './cli.ts';
import { fromYaml, goUnmarshal } from './go-json.ts';

/**
 * gimlet-io/gimlet-artifact-shipper-action `entrypoint.sh` (v0.8.x bundles cli-v0.20.0, v0.9.0 bundles
 * cli-v0.25.0; the same flow in both, v0.9.0 adds `.gimlet/vars`; read at the tags), step by step, under its
 * `set -e`: the first command that exits non-zero ends the step with that code. `artifact create` and
 * `artifact add` only edit artifact.json, so their result is built here as the Go value they write;
 * `push`, `track`, `release make` and `release track` go over HTTP through the emulated CLI.
 */
export interface ShipperInputs {
  /** GitHub's environment for the job. */
  github: {
    repository: string;
    sha: string;
    ref: string;
    runId: string;
    actor: string;
    eventName: string;
    job: string;
  };
  commit: { message: string; author: string; email: string; createdIso: string };
  /** `.gimlet/<file>` → YAML text (read with `--envFile`, in name order as the shell glob lists them). */
  gimletFiles: Record<string, string>;
  /** `.gimlet/vars` (dotenv), v0.9.0 only. */
  varsFile?: Record<string, string>;
  fields?: string;
  wait?: boolean;
  deploy?: boolean;
  env?: string;
  app?: string;
  timeoutMs?: number;
  pollMs?: number;
}

export interface ShipperRun {
  exitCode: number;
  log: string[];
  artifactId?: string;
  releaseId?: string;
}

export async function runShipper(
  cli: GimletCli,
  action: 'v0.8.x' | 'v0.9.0',
  inputs: ShipperInputs,
): Promise<ShipperRun> {
  const log: string[] = [];
  const { github, commit } = inputs;
  const branch = github.ref.replace(/^refs\/heads\//, '');
  const tag = github.ref.startsWith('refs/tags/') ? github.ref.slice('refs/tags/'.length) : '';
  const event = tag ? 'tag' : 'push';
  const vars: Record<string, string> = {};
  const context: Record<string, string> = {};
  const items: Record<string, unknown>[] = [];
  const addField = (fields: Record<string, string>) => {
    items.push(fields);
    Object.assign(vars, fields);
  };
  const addVar = (key: string, value: string) => {
    context[key] = value;
    vars[key] = value;
  };
  // gimlet artifact create (`--created` is `git log -1 --format=%cI`, stored as unix seconds).
  const version = {
    repositoryName: github.repository,
    sha: github.sha,
    created: Math.floor(Date.parse(commit.createdIso) / 1000),
    branch,
    event,
    tag,
    authorName: commit.author,
    authorEmail: commit.email,
    committerName: commit.author,
    committerEmail: commit.email,
    message: commit.message,
    url: `https://github.com/${github.repository}/commit/${github.sha}`,
  };
  addField({ name: 'CI', url: `https://github.com/${github.repository}/actions/runs/${github.runId}` });
  for (const field of (inputs.fields ?? '').split(';').filter(Boolean)) {
    const [key = '', value = ''] = field.split('=');
    addField({ name: key, url: value });
  }
  const environments = Object.keys(inputs.gimletFiles)
    .sort()
    .filter((name) => action === 'v0.8.x' || name !== 'vars')
    .map((name) => fromYaml(cli.dx.Manifest, parse(inputs.gimletFiles[name] ?? '')));
  // `printenv | grep GITHUB | grep -v '=$'`, then the common variables.
  const githubEnv: Record<string, string> = {
    GITHUB_REPOSITORY: github.repository,
    GITHUB_SHA: github.sha,
    GITHUB_REF: github.ref,
    GITHUB_RUN_ID: github.runId,
    GITHUB_ACTOR: github.actor,
    GITHUB_EVENT_NAME: github.eventName,
    GITHUB_JOB: github.job,
    GITHUB_BRANCH: branch,
    GITHUB_SERVER_URL: 'https://github.com',
  };
  for (const [key, value] of Object.entries(githubEnv)) addVar(key, value);
  const common = {
    REPO: github.repository,
    OWNER: github.repository.split('/')[0] ?? '',
    BRANCH: branch,
    TAG: tag,
    SHA: github.sha,
    ACTOR: github.actor,
    EVENT: github.eventName,
    JOB: github.job,
  };
  for (const [key, value] of Object.entries(common)) addVar(key, value);
  if (action === 'v0.9.0' && inputs.varsFile) Object.assign(vars, inputs.varsFile);
  const artifact = { version, context, environments, items, vars };

  log.push('Shipping artifact..');
  const push = await cli.artifactPush(artifact);
  if (push.exitCode !== 0) {
    log.push(push.error ?? '');
    return { exitCode: push.exitCode, log };
  }
  // `jq -r '.id'` on the JSON the CLI printed.
  const artifactId = String((goUnmarshal({ k: 'map', elem: { k: 'any' } }, push.stdout[0] ?? '') as any).id);
  log.push(`Shipped artifact ID is: ${artifactId}`);
  const timing = { timeoutMs: inputs.timeoutMs ?? 60_000, pollMs: inputs.pollMs ?? 200 };
  const waitFor = inputs.wait === true || inputs.deploy === true;
  const tracked = await cli.track('artifact', artifactId, { wait: waitFor, ...timing });
  log.push(...tracked.stdout, ...(tracked.error ? [tracked.error] : []));
  if (tracked.exitCode !== 0) return { exitCode: tracked.exitCode, log, artifactId };
  if (!inputs.deploy) return { exitCode: 0, log, artifactId };

  log.push('Deploying..');
  // `RELEASE_ID=$(gimlet release make … | jq -r '.id')`: a pipeline's status is jq's, so a failed make
  // does not stop the script; the empty id then fails `release track`.
  const made = await cli.releaseMake(inputs.env ?? '', artifactId, inputs.app ?? '');
  if (made.error) log.push(made.error);
  const releaseId = made.id ?? '';
  log.push(`Deployment ID is: ${releaseId}`);
  const release = await cli.track('release', releaseId, { wait: true, ...timing });
  log.push(...release.stdout, ...(release.error ? [release.error] : []));
  return { exitCode: release.exitCode, log, artifactId, releaseId };
}

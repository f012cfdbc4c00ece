import { readFileSync } from 'node:fs';
import type { JsonObject } from '../../domain/validate.ts';
import type { CliIo } from '../command.ts';
import { type CommitSource, nonEmpty } from './source.ts';

/** What GitHub Actions tells about the run: the commit, its CI link, and the GITHUB_* variables. */
export interface GitHubRun {
  source: CommitSource;
  ciItem?: JsonObject;
  variables: Record<string, string>;
}

interface EventPayload {
  number?: number;
  pull_request?: { number?: number; head?: { sha?: string; ref?: string }; base?: { ref?: string } };
}

// Names that may hold credentials never go into an artifact, which any viewer can read.
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/i;

export function gitHubRun(io: CliIo): GitHubRun {
  const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = io.env;
  const server = io.env.GITHUB_SERVER_URL || 'https://github.com';
  const source = gitHubSource(io, server);
  return {
    source,
    ciItem:
      repository && runId ? { name: 'CI', url: `${server}/${repository}/actions/runs/${runId}` } : undefined,
    variables: gitHubVariables(io.env, source.branch),
  };
}

/**
 * Gimlet's shipper (gimletd.md §11.1) with its PR mistakes fixed: the sha is the PR head, not GitHub's
 * throw-away merge commit; sourceBranch is the head branch and targetBranch the base (Gimlet swapped
 * them, and read a GITHUB_TARGET_REF that does not exist); a tag build has no branch.
 */
function gitHubSource(io: CliIo, server: string): CommitSource {
  const env = io.env;
  const repository = env.GITHUB_REPOSITORY;
  const ref = env.GITHUB_REF ?? '';
  const commitUrl = (sha: string | undefined) =>
    repository && sha ? `${server}/${repository}/commit/${sha}` : undefined;

  if (ref.startsWith('refs/tags/')) {
    const tag = ref.slice('refs/tags/'.length);
    return nonEmpty({ repository, sha: env.GITHUB_SHA, event: 'tag', tag, url: commitUrl(env.GITHUB_SHA) });
  }
  if (env.GITHUB_BASE_REF || env.GITHUB_EVENT_NAME?.startsWith('pull_request')) {
    const payload = readEventPayload(env.GITHUB_EVENT_PATH, io);
    const pr = payload.pull_request;
    if (!pr?.head?.sha) {
      io.stderr.write(
        'ferry: no pull_request.head.sha in $GITHUB_EVENT_PATH; using GITHUB_SHA (a merge commit)\n',
      );
    }
    const sha = pr?.head?.sha || env.GITHUB_SHA;
    const prNumber = String(pr?.number ?? payload.number ?? /^refs\/pull\/(\d+)\//.exec(ref)?.[1] ?? '');
    const sourceBranch = env.GITHUB_HEAD_REF || pr?.head?.ref;
    return nonEmpty({
      repository,
      sha,
      branch: sourceBranch,
      event: 'pr',
      sourceBranch,
      targetBranch: env.GITHUB_BASE_REF || pr?.base?.ref,
      prNumber,
      url: prNumber && repository ? `${server}/${repository}/pull/${prNumber}` : commitUrl(sha),
    });
  }
  const branch =
    env.GITHUB_HEAD_REF || (ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : '');
  return nonEmpty({ repository, sha: env.GITHUB_SHA, branch, event: 'push', url: commitUrl(env.GITHUB_SHA) });
}

/**
 * Every non-empty GITHUB_* variable, as Gimlet's `printenv | grep GITHUB` put them into context and
 * vars, plus the GITHUB_BRANCH its shipper exported, which existing manifests may template on.
 */
function gitHubVariables(env: CliIo['env'], branch: string | undefined): Record<string, string> {
  const variables: Record<string, string> = branch ? { GITHUB_BRANCH: branch } : {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('GITHUB_') && value && !SECRET_NAME.test(name)) variables[name] = value;
  }
  return variables;
}

function readEventPayload(path: string | undefined, io: CliIo): EventPayload {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload;
  } catch (error) {
    io.stderr.write(`ferry: cannot read the event payload ${path}: ${(error as Error).message}\n`);
    return {};
  }
}

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BASE_HELP, BASE_OPTIONS, flagHelp, type HelpRow, parseFlags, wantsJson } from '../args.ts';
import { buildArtifact, parseField } from '../artifact/build.ts';
import { connect } from '../client.ts';
import type { Command } from '../command.ts';
import { RequestError, UsageError } from '../errors.ts';
import { printJson } from '../format.ts';

const NAME = 'artifact push';
const OPTIONS = {
  ...BASE_OPTIONS,
  dir: { type: 'string' },
  field: { type: 'string', multiple: true },
  print: { type: 'boolean' },
} as const;

const FLAGS: HelpRow[] = [
  ['--dir <path>', "the application's clone (default: the current directory)"],
  ['--field name=url', 'add the item {name, url}, e.g. --field image=ghcr.io/acme/shop:1.2 (repeatable)'],
  ['--print', 'print the artifact instead of sending it (needs no server)'],
  ...BASE_HELP,
];

export const artifactPush: Command = {
  name: NAME,
  summary: 'build the release artifact of this commit and ship it',
  usage: `Usage: ferry artifact push [--dir <path>] [--field name=url ...] [--print] [flags]

Builds the artifact of the commit checked out in --dir and sends it to Ferry; prints its id.

The commit comes from GitHub Actions when GITHUB_ACTIONS=true, then from FERRY_REPOSITORY, FERRY_SHA,
FERRY_BRANCH, FERRY_EVENT (push|tag|pr), FERRY_TAG, FERRY_SOURCE_BRANCH, FERRY_TARGET_BRANCH,
FERRY_PR_NUMBER and FERRY_URL (which win over GitHub's), and whatever is still unknown from the git
clone (HEAD, its branch, the origin remote). Author, committer, time and message come from git.
Each .gimlet/*.yaml file is one environment manifest; .gimlet/vars (KEY=value lines) adds variables.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values } = parseFlags(NAME, args, OPTIONS);
    const json = wantsJson(values.output);
    const fields = (values.field ?? []).map(parseField);
    // Configuration is checked before the slower git and file work, so a missing token fails first.
    const client = values.print ? undefined : connect(values, io);
    const dir = resolve(io.cwd, values.dir ?? '.');
    await mustBeDirectory(dir, values.dir ?? '.');
    const { artifact, files } = await buildArtifact(dir, fields, io);
    if (!client) return printJson(io.stdout, artifact);
    // An artifact without environments can never be released: almost always a wrong --dir.
    if (artifact.environments.length === 0) {
      throw new UsageError(
        `${values.dir ?? '.'}: no manifests in .gimlet/ (*.yaml); an artifact without environments can never be released. Is --dir the application's clone?`,
      );
    }
    const stored = await client
      .post<{ id: string }>('/api/artifact', artifact)
      .catch((error: unknown) => Promise.reject(nameManifestFile(error, files)));
    if (json) printJson(io.stdout, stored);
    else io.stdout.write(`${stored.id}\n`);
  },
};

async function mustBeDirectory(path: string, given: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--dir ${given}: no such directory`);
}

/** The server names `environments[2]`; the person fixing it needs `.gimlet/<file>`. */
function nameManifestFile(error: unknown, files: string[]): unknown {
  if (!(error instanceof RequestError)) return error;
  const index = /^environments\[(\d+)\]/.exec(error.message)?.[1];
  const file = index === undefined ? undefined : files[Number(index)];
  if (file === undefined) return error;
  return new RequestError(`${error.message}; environments[${index}] is .gimlet/${file}`, error.status);
}

import { runGit } from '../../lib/local/git/git-cli.ts';

export interface SeedOptions {
  folders: number;
  /** ConfigMap YAML files per app folder; each folder also gets a release.json. */
  filesPerFolder: number;
  branch?: string;
  env?: string;
}

function configMap(env: string, app: string, index: number): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${app}-config-${index}`,
    `  namespace: ${env}`,
    'data:',
    '  LOG_LEVEL: info',
    `  FEATURE_${index}: "enabled"`,
    '',
  ].join('\n');
}

function releaseJson(env: string, app: string): string {
  return `${JSON.stringify({ env, app, version: '1.0.0', image: `registry.local/${app}:1.0.0` }, null, 2)}\n`;
}

/** One `data` block of a fast-import stream; the length counts bytes, not characters. */
const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;

/**
 * Writes a gitops tree of `<env>/app-<i>/` folders as one commit on `branch` of the bare repository at
 * `bareRepoPath`, on top of the branch if it exists. `git fast-import` writes straight into the repository
 * as one pack, with no work tree, index or push, which is what makes thousands of files take a second.
 */
export async function seedGitopsRepo(bareRepoPath: string, options: SeedOptions): Promise<{ head: string }> {
  const branch = options.branch ?? 'main';
  const env = options.env ?? 'dev';
  const ref = `refs/heads/${branch}`;
  const exists = (await runGit(['--git-dir', bareRepoPath, 'for-each-ref', ref])).trim() !== '';
  const parts = [
    `commit ${ref}\n`,
    `committer Ferry Local <ferry@localhost> ${Math.floor(Date.now() / 1000)} +0000\n`,
    data(`Seed ${options.folders} apps × ${options.filesPerFolder} files in ${env}`),
    exists ? `from ${ref}^0\n` : '',
  ];
  for (let i = 0; i < options.folders; i++) {
    const app = `app-${i}`;
    for (let f = 0; f < options.filesPerFolder; f++) {
      parts.push(`M 100644 inline ${env}/${app}/configmap-${f}.yaml\n`, data(configMap(env, app, f)));
    }
    parts.push(`M 100644 inline ${env}/${app}/release.json\n`, data(releaseJson(env, app)));
  }
  parts.push('done\n');
  await runGit(['--git-dir', bareRepoPath, 'fast-import', '--quiet', '--done'], { input: parts.join('') });
  const head = (await runGit(['--git-dir', bareRepoPath, 'rev-parse', ref])).trim();
  return { head };
}

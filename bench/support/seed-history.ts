import { runGit } from '../../lib/local/git/git-cli.ts';

export interface HistoryOptions {
  /** Commits on the branch, the first one holding the whole tree. */
  commits: number;
  apps: number;
  filesPerApp: number;
  /** Time between two commits; the last one is `now`. */
  spacingMs: number;
  branch?: string;
  env?: string;
}

const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;

const configMap = (app: string, f: number, round: number) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-config-${f}\n  namespace: staging\ndata:\n  ROUND: "${round}"\n`;

/**
 * A gitops branch with a long history, the way years of releases leave it: one commit with every app's
 * folder, then `commits - 1` commits that each change one app's file and carry Ferry's request-id trailer,
 * `spacingMs` apart and ending now. `git fast-import` writes it straight into the bare repository as one
 * pack (100,000 commits in seconds, where commit + push per release would take hours).
 */
export async function seedHistory(bareRepoPath: string, options: HistoryOptions): Promise<{ head: string }> {
  const branch = options.branch ?? 'main';
  const env = options.env ?? 'staging';
  const ref = `refs/heads/${branch}`;
  const now = Math.floor(Date.now() / 1000);
  const timeOf = (i: number) => now - Math.floor(((options.commits - 1 - i) * options.spacingMs) / 1000);
  const parts: string[] = [];
  parts.push(`commit ${ref}\n`, `committer Seed <seed@localhost> ${timeOf(0)} +0000\n`, data('Seed'));
  for (let a = 0; a < options.apps; a++) {
    for (let f = 0; f < options.filesPerApp; f++) {
      parts.push(`M 100644 inline ${env}/app-${a}/configmap-${f}.yaml\n`, data(configMap(`app-${a}`, f, 0)));
    }
  }
  for (let i = 1; i < options.commits; i++) {
    const app = `app-${i % options.apps}`;
    parts.push(
      `commit ${ref}\n`,
      `committer Ferry <ferry@localhost> ${timeOf(i)} +0000\n`,
      data(
        `[Ferry] Deploy ${env}/${app}\n\nFerry-Request-Id: seed-${i}\nFerry-Env: ${env}\nFerry-App: ${app}\n`,
      ),
      `M 100644 inline ${env}/${app}/configmap-0.yaml\n`,
      data(configMap(app, 0, i)),
    );
  }
  parts.push('done\n');
  await runGit(['--git-dir', bareRepoPath, 'fast-import', '--quiet', '--done'], { input: parts.join('') });
  return { head: (await runGit(['--git-dir', bareRepoPath, 'rev-parse', ref])).trim() };
}

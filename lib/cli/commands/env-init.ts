import { flagHelp, type HelpRow, onePositional, parseFlags, REQUEST_HELP, REQUEST_OPTIONS } from '../args.ts';
import type { Command } from '../command.ts';
import { submitRequest } from '../submit.ts';

const NAME = 'env init';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  url: { type: 'string' },
  kustomization: { type: 'string' },
  namespace: { type: 'string' },
  'secret-name': { type: 'string' },
  source: { type: 'string' },
  'repo-url': { type: 'string' },
  branch: { type: 'string' },
  'git-secret': { type: 'string' },
} as const;

/** CLI flag → request body field. */
const FIELDS = {
  url: 'url',
  kustomization: 'kustomization',
  namespace: 'namespace',
  'secret-name': 'secretName',
  source: 'source',
  'repo-url': 'repoUrl',
  branch: 'branch',
  'git-secret': 'gitSecret',
} as const;

const FLAGS: HelpRow[] = [
  ['--url <url>', "Ferry's flux-events URL (default: the install's Function URL)"],
  ['--repo-url <url>', "the gitops repository Flux reads (default: Ferry's, without credentials)"],
  ['--branch <name>', "the gitops branch (default: Ferry's)"],
  [
    '--git-secret <name>',
    'the Secret with git credentials for the GitRepository (default ferry-gitops-auth)',
  ],
  [
    '--source <name>',
    'use this existing GitRepository (flux-system after `flux bootstrap --path=<env>/flux`); writes no sync.yaml',
  ],
  [
    '--kustomization <name>',
    'the entry Kustomization applying <env>/flux (default ferry-<env>, or flux-system)',
  ],
  ['--namespace <ns>', 'namespace of the Flux objects Ferry writes (default flux-system)'],
  ['--secret-name <name>', 'the Secret holding the HMAC key under `token` (default ferry-flux-hmac)'],
  ...REQUEST_HELP,
];

export const envInit: Command = {
  name: NAME,
  summary: 'commit what a cluster needs to apply an environment and report back to Ferry',
  usage: `Usage: ferry env init <env> [flags]

Commits <env>/flux/ through the writer:
  sync.yaml      a GitRepository for the gitops repository and the entry Kustomization ferry-<env>
                 applying ./<env>/flux (not written with --source)
  provider.yaml  a generic-hmac Provider posting to Ferry with env=<env>
  alert.yaml     an Alert for the entry Kustomization
  ferry.json     these settings; every app's own Kustomization and Alert (<env>/flux/apps/<app>.yaml,
                 written on each deploy) use them, and existing apps' files are rewritten now
An environment mapped to a folder of its repository (FERRY_GITOPS_REPOS path) gets all of it under
<path>/<env>/flux/, and every Flux path points there; the GitRepository defaults to the environment's own
repository and branch.
No secret is written to the repository: create the Secrets in the cluster yourself (README, "Connect a
cluster"), the HMAC one with the environment's own key, derived from Ferry's (HMAC-SHA256 of
"ferry-flux-events/<env>" under FERRY_FLUX_HMAC_KEY, in hex), then apply <env>/flux/sync.yaml once:

  key=$(printf 'ferry-flux-events/%s' "<env>" | openssl dgst -sha256 -hmac "$FERRY_FLUX_HMAC_KEY" -r | cut -d' ' -f1)
  kubectl -n flux-system create secret generic ferry-flux-hmac --from-literal=token="$key"

Admin token required. Prints the request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(NAME, args, OPTIONS, true);
    const env = onePositional(NAME, positionals, 'env');
    const body: Record<string, string> = {};
    for (const [flag, field] of Object.entries(FIELDS)) {
      const value = values[flag as keyof typeof FIELDS];
      if (value !== undefined) body[field] = value;
    }
    await submitRequest(values, io, `/api/environments/${encodeURIComponent(env)}/init`, body);
  },
};

import { flagHelp, type HelpRow, parseFlags, REQUEST_HELP, REQUEST_OPTIONS } from '../args.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { submitRequest } from '../submit.ts';

const NAME = 'env init';
const OPTIONS = {
  ...REQUEST_OPTIONS,
  url: { type: 'string' },
  kustomization: { type: 'string' },
  namespace: { type: 'string' },
  'secret-name': { type: 'string' },
} as const;

const FLAGS: HelpRow[] = [
  ['--url <url>', "Ferry's flux-events URL (default: the install's Function URL)"],
  ['--kustomization <name>', 'the Flux Kustomization that applies the environment (default flux-system)'],
  ['--namespace <ns>', 'namespace of the Kustomization, Provider and Alert (default flux-system)'],
  ['--secret-name <name>', 'the Secret holding the HMAC key under `token` (default ferry-flux-hmac)'],
  ...REQUEST_HELP,
];

export const envInit: Command = {
  name: NAME,
  summary: 'commit the Flux Provider and Alert that report an environment back to Ferry',
  usage: `Usage: ferry env init <env> [flags]

Commits <env>/flux/provider.yaml (a generic-hmac Provider posting to Ferry with env=<env>) and
<env>/flux/alert.yaml (an Alert for the environment's Kustomization) through the writer. No key is
written to the repository: create the Secret in the cluster yourself, with the environment's own key,
derived from Ferry's (HMAC-SHA256 of "ferry-flux-events/<env>" under FERRY_FLUX_HMAC_KEY, in hex):

  key=$(printf 'ferry-flux-events/%s' "<env>" | openssl dgst -sha256 -hmac "$FERRY_FLUX_HMAC_KEY" -r | cut -d' ' -f1)
  kubectl -n flux-system create secret generic ferry-flux-hmac --from-literal=token="$key"

Admin token required. Prints the request id.

${flagHelp(FLAGS)}`,
  async run(args, io) {
    const { values, positionals } = parseFlags(NAME, args, OPTIONS, true);
    const [env, ...extra] = positionals;
    if (env === undefined) throw new UsageError(`${NAME}: missing <env>`);
    if (extra.length > 0) throw new UsageError(`${NAME}: unexpected argument "${extra[0]}"`);
    const body: Record<string, string> = {};
    if (values.url !== undefined) body.url = values.url;
    if (values.kustomization !== undefined) body.kustomization = values.kustomization;
    if (values.namespace !== undefined) body.namespace = values.namespace;
    if (values['secret-name'] !== undefined) body.secretName = values['secret-name'];
    await submitRequest(values, io, `/api/environments/${encodeURIComponent(env)}/init`, body);
  },
};

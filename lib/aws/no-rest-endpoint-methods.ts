import { FerryError } from '../domain/errors.ts';

/**
 * Stands in for `@octokit/plugin-rest-endpoint-methods` in the Lambda bundles (an esbuild alias set by
 * cdk/ferry-function.ts). @octokit/rest plugs it in at load: a method for each of GitHub's ~1,000 REST
 * endpoints (`octokit.repos.createCommitStatus`), ~80 KB of minified code in the notifier, which calls
 * one endpoint, through `octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}')` (the same request,
 * with the same throttling and retry plugins). Should anything use an endpoint method, `octokit.rest.*`
 * fails with this message; `octokit.repos` and the other legacy names are simply absent.
 */
export class RestEndpointMethodsNotBundledError extends FerryError {
  readonly code = 'not_bundled';
  constructor(name: string) {
    super(
      `Octokit's endpoint methods (octokit.rest.${name}) are left out of the Lambda bundles ` +
        '(lib/aws/no-rest-endpoint-methods.ts): call octokit.request(route) instead',
    );
  }
}

const absent = new Proxy(
  {},
  {
    get: (_, name) => {
      throw new RestEndpointMethodsNotBundledError(String(name));
    },
  },
);

export function restEndpointMethods(): { rest: object } {
  return { rest: absent };
}

/** The package's other export, which @octokit/rest may plug in instead: the same stand-in. */
export const legacyRestEndpointMethods = restEndpointMethods;

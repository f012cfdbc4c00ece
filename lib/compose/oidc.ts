import { GITHUB_OIDC_ISSUER, makeOidcVerifier } from '../adapters/github/oidc-verifier.ts';
import type { OidcSettings } from '../app/oidc.ts';
import type { Clock } from '../app/ports.ts';
import { ConfigError, ENV_OIDC_RULES } from '../config/env.ts';
import { parseOidcRules } from '../domain/oidc-rules.ts';

/** The default audience a workflow asks GitHub for (`core.getIDToken('ferry')`). */
export const DEFAULT_OIDC_AUDIENCE = 'ferry';

export interface OidcConfig {
  rules?: string | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
}

/** FERRY_OIDC_RULES / _AUDIENCE / _ISSUER → the exchange's settings; bad rules fail the cold start. */
export function oidcSettings(config: OidcConfig, clock: Clock): OidcSettings {
  let rules: OidcSettings['rules'];
  try {
    rules = parseOidcRules(config.rules);
  } catch (error) {
    throw new ConfigError(ENV_OIDC_RULES, (error as Error).message, { cause: error });
  }
  return {
    rules,
    verifier: makeOidcVerifier({
      issuer: config.issuer || GITHUB_OIDC_ISSUER,
      audience: config.audience || DEFAULT_OIDC_AUDIENCE,
      clock,
    }),
  };
}

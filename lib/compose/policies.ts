import type { PolicyStore } from '../app/ports.ts';
import { ConfigError, ENV_BRANCH_RESTRICTIONS, ENV_PROMOTION_CHAIN } from '../config/env.ts';
import { FerryError } from '../domain/errors.ts';
import { type PolicyRule, parseInstallRestrictions, parsePromotionChain } from '../domain/policy-rules.ts';

/** The install's policy settings, read once at start; a bad value stops the start naming its variable. */
export function policySettings(
  policies: PolicyStore,
  config: { branchRestrictions?: string | undefined; promotionChain?: string | undefined },
) {
  const read = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof FerryError) throw new ConfigError(`${name}: ${error.message}`);
      throw error;
    }
  };
  const installRestrictions = read(ENV_BRANCH_RESTRICTIONS, () =>
    parseInstallRestrictions(config.branchRestrictions),
  );
  const promotionChain = read(ENV_PROMOTION_CHAIN, () => parsePromotionChain(config.promotionChain));
  return {
    policies,
    installRestrictions,
    promotionChain,
    rules: async (): Promise<PolicyRule[]> => [...installRestrictions, ...(await policies.list())],
  };
}

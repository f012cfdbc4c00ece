import type { PolicyStore } from '../app/ports.ts';
import type { PolicyConfig } from '../config/env.ts';
import type { PolicyRule } from '../domain/policy-rules.ts';

/** The install's policy settings (validated by the config loader) beside the stored policies. */
export function policySettings(policies: PolicyStore, config: PolicyConfig) {
  return {
    policies,
    installRestrictions: config.installRestrictions,
    promotionChain: config.promotionChain,
    rules: async (): Promise<PolicyRule[]> => [...config.installRestrictions, ...(await policies.list())],
  };
}

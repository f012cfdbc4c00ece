import type { BranchRestrictionRule, PolicyRule } from '../domain/policy-rules.ts';
import type { Logger } from '../log/logger.ts';
import type { Authenticator } from './authenticate.ts';
import type { OidcSettings } from './oidc.ts';
import type {
  ArtifactStore,
  AuditLog,
  Clock,
  FluxStore,
  GovernanceStore,
  Manifests,
  PolicyStore,
  ReleaseStore,
  UserStore,
} from './ports.ts';
import type { GitopsPlace } from './releases.ts';

/** Everything the API functions need; built by a composition root (Lambda or local) and handed in. */
export interface ApiDeps {
  artifacts: ArtifactStore;
  /** Checks and renders what CI shipped (in process, or the `invoke-render` function on Lambda). */
  manifests: Manifests;
  users: UserStore;
  releases: ReleaseStore;
  flux: FluxStore;
  policies: PolicyStore;
  /** Halts, freeze windows, approval rules and decisions (the release gate's settings). */
  governance: GovernanceStore;
  /** Slack's signing secret: verifies interactive button presses (none: the route answers 404). */
  slackSigningSecret?: () => Promise<string | undefined>;
  /** Branch restrictions fixed at install (FERRY_BRANCH_RESTRICTIONS). */
  installRestrictions: BranchRestrictionRule[];
  /** Every policy in force: install restrictions and stored policies. */
  rules: () => Promise<PolicyRule[]>;
  /** FERRY_PROMOTION_CHAIN: `promote` without a source environment takes the previous one. */
  promotionChain: string[];
  /** The flux-events Function URL, the default address `ferry env init` writes into the Provider. */
  fluxEventsUrl?: string;
  /** The gitops repository's URL as clients may see it (never with credentials). */
  gitopsRepo: string;
  /** The gitops branch (FERRY_GITOPS_BRANCH), the branch `ferry env init` points the GitRepository at. */
  gitopsBranch?: string;
  /** Where each environment's folders live (FERRY_GITOPS_REPOS): repository, branch and folder. */
  gitopsOf?: (env: string) => GitopsPlace;
  /** How long `POST /api/delete` waits for the writer before answering (default 20 s); 0 answers at once. */
  deleteWaitMs?: number;
  audit: AuditLog;
  /** GitHub Actions OIDC exchange (FERRY_OIDC_RULES, FERRY_OIDC_AUDIENCE, FERRY_OIDC_ISSUER). */
  oidc?: OidcSettings;
  authenticator: Authenticator;
  clock: Clock;
  logger: Logger;
}

/** What http-artifacts uses of them. */
export type ArtifactsApiDeps = Pick<
  ApiDeps,
  'artifacts' | 'manifests' | 'authenticator' | 'clock' | 'logger'
>;

export const systemClock: Clock = { now: () => new Date() };

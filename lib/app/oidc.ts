import type { AuditEntry } from '../domain/audit.ts';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.ts';
import { describeIdentity, type GithubClaims, matchRule, type OidcRule } from '../domain/oidc-rules.ts';
import { object, readFields } from '../domain/schema.ts';
import { compact, requiredString } from '../domain/validate.ts';
import type { AuditLog, Clock, OidcVerifier, TokenGrant, UserStore } from './ports.ts';
import { issueToken, newId } from './tokens.ts';

/** How long an exchanged token lives at most (never past the OIDC token's own expiry). */
export const OIDC_TOKEN_TTL_SECONDS = 15 * 60;

export interface OidcSettings {
  verifier: OidcVerifier;
  /** FERRY_OIDC_RULES; empty: every exchange is refused. */
  rules: OidcRule[];
}

export interface OidcExchangeDeps {
  users: UserStore;
  audit: AuditLog;
  clock: Clock;
  oidc?: OidcSettings;
}

export interface ExchangedToken {
  token: string;
  tokenId: string;
  login: string;
  role: string;
  environments: string[];
  expiresAt: string;
}

/** `POST /api/token/oidc`. */
export const OIDC_EXCHANGE_SCHEMA = object(
  { token: { type: 'string', maxLength: 8192, description: 'the GitHub Actions OIDC token (a JWT)' } },
  { required: ['token'] },
);

/**
 * Exchanges a GitHub Actions OIDC token for a short-lived Ferry token whose role and environments come
 * from the first rule matching its claims. Verification failures are 401, an identity no rule grants is
 * 403; every exchange, granted or refused, leaves an audit entry.
 */
export async function exchangeOidcToken(
  deps: OidcExchangeDeps,
  requestId: string,
  body: unknown,
): Promise<ExchangedToken> {
  const jwt = requiredString(readFields(OIDC_EXCHANGE_SCHEMA, body, '').token, 'token', 8192);
  const now = deps.clock.now();
  const refuse = async (actor: string, reason: string, claims?: GithubClaims) => {
    await deps.audit.record(
      entry(now, requestId, actor, 'oidc', 'oidc.exchange.refused', claims, { reason }),
    );
  };
  if (!deps.oidc || deps.oidc.rules.length === 0) {
    const reason = 'no OIDC rules are configured (FERRY_OIDC_RULES)';
    await refuse('oidc', reason);
    throw new ForbiddenError(`OIDC exchange refused: ${reason}`);
  }
  let verified: Awaited<ReturnType<OidcVerifier['verify']>>;
  try {
    verified = await deps.oidc.verifier.verify(jwt);
  } catch (error) {
    if (error instanceof UnauthenticatedError) await refuse('oidc', error.message);
    throw error;
  }
  const { claims } = verified;
  const login = `github:${claims.repository}`;
  const rule = matchRule(deps.oidc.rules, claims);
  if (!rule) {
    const reason = `no OIDC rule grants ${describeIdentity(claims)}`;
    await refuse(login, reason, claims);
    throw new ForbiddenError(reason);
  }
  const expiresMs = Math.min(now.getTime() + OIDC_TOKEN_TTL_SECONDS * 1000, verified.expiresAt.getTime());
  if (expiresMs <= now.getTime()) {
    await refuse(login, 'OIDC token has expired', claims);
    throw new UnauthenticatedError('OIDC token refused: it has expired');
  }
  const expiresAt = new Date(expiresMs).toISOString();
  const issued = issueToken();
  const grant: TokenGrant = {
    login,
    role: rule.role,
    environments: rule.envs,
    expiresAt,
    tokenId: issued.id,
  };
  await deps.users.createGrant(
    issued.hash,
    grant,
    entry(now, requestId, login, issued.id, 'oidc.exchange', claims, {
      role: rule.role,
      envs: rule.envs.join(','),
      expiresAt,
    }),
  );
  return {
    token: issued.token,
    tokenId: issued.id,
    login,
    role: rule.role,
    environments: rule.envs,
    expiresAt,
  };
}

function entry(
  now: Date,
  requestId: string,
  actor: string,
  tokenId: string,
  action: string,
  claims: GithubClaims | undefined,
  detail: Record<string, string>,
): AuditEntry {
  return {
    id: newId(),
    at: now.toISOString(),
    actor,
    tokenId,
    action,
    target: claims?.repository ?? 'unverified',
    requestId,
    detail: compact({
      ...detail,
      repository: claims?.repository,
      ref: claims?.ref,
      workflow: claims?.workflow,
      job_workflow_ref: claims?.job_workflow_ref,
      environment: claims?.environment,
      event_name: claims?.event_name,
      sha: claims?.sha,
      actor: claims?.actor,
    }) as Record<string, string>,
  };
}

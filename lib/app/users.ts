import { authorize, ROLES, type Role } from '../domain/access.ts';
import { ConflictError, NotFoundError } from '../domain/errors.ts';
import { isDnsLabel, isLogin } from '../domain/names.ts';
import { nullable, object, type QuerySpec, readFields } from '../domain/schema.ts';
import {
  compact,
  invalid,
  join,
  oneOf,
  optionalArray,
  optionalBoolean,
  optionalString,
  requiredString,
  rfc3339,
  unsupported,
} from '../domain/validate.ts';
import { auditEntry, type CallContext } from './audit.ts';
import { ADMIN_LOGIN } from './authenticate.ts';
import type { Clock, User, UserStore } from './ports.ts';
import { issueToken } from './tokens.ts';

/** What the API returns about a user. `admin` keeps Gimlet's `{login, token, admin}` shape working. */
export interface UserView {
  login: string;
  role: Role;
  admin: boolean;
  environments?: string[];
  expiresAt?: string;
  createdAt: string;
  createdBy: string;
  tokenId: string;
  /** Only in the response that issued it. */
  token?: string;
}

export function viewUser(user: User, token?: string): UserView {
  const view: UserView = { ...user, admin: user.role === 'admin' };
  if (token !== undefined) view.token = token;
  return view;
}

export async function createUser(users: UserStore, call: CallContext, body: unknown): Promise<UserView> {
  authorize(call.principal, 'user:manage');
  const request = parseUserRequest(body, call.clock.now());
  const issued = issueToken();
  const user: User = {
    ...request,
    createdAt: call.clock.now().toISOString(),
    createdBy: call.principal.login,
    tokenId: issued.id,
  };
  await users.create(user, issued.hash, auditEntry(call, 'user.create', user.login, { role: user.role }));
  return viewUser(user, issued.token);
}

export async function listUsers(users: UserStore, call: CallContext): Promise<UserView[]> {
  authorize(call.principal, 'user:manage');
  return (await users.list()).map((u) => viewUser(u));
}

/** `withToken=true` (Gimlet's way to get a token again) issues a new one and retires the old. */
export async function getUser(
  users: UserStore,
  call: CallContext,
  login: string,
  withToken: boolean,
): Promise<UserView> {
  authorize(call.principal, 'user:manage');
  if (withToken) {
    const issued = issueToken();
    const user = await users.replaceToken(
      login,
      issued.id,
      issued.hash,
      auditEntry(call, 'user.token.replace', login),
    );
    return viewUser(user, issued.token);
  }
  const user = await users.get(login);
  if (!user) throw new NotFoundError(`user ${login} not found`);
  return viewUser(user);
}

export async function deleteUser(users: UserStore, call: CallContext, login: string): Promise<void> {
  authorize(call.principal, 'user:manage');
  if (login === call.principal.login) {
    throw new ConflictError('you cannot delete the user whose token you are using');
  }
  if (!(await users.delete(login, auditEntry(call, 'user.delete', login)))) {
    throw new NotFoundError(`user ${login} not found`);
  }
}

const SYSTEM = { login: 'ferry', role: 'admin', tokenId: 'system' } as const;

/**
 * Creates the `admin` user on a first start. Returns the token to print once, or undefined when the
 * admin already exists (its token is not recoverable: only its hash is stored).
 */
export async function bootstrapAdmin(
  users: UserStore,
  clock: Clock,
  token?: string,
): Promise<string | undefined> {
  if (await users.get(ADMIN_LOGIN)) return undefined;
  const issued = issueToken(token);
  const call = { principal: SYSTEM, requestId: 'bootstrap', clock };
  const user: User = {
    login: ADMIN_LOGIN,
    role: 'admin',
    createdAt: clock.now().toISOString(),
    createdBy: SYSTEM.login,
    tokenId: issued.id,
  };
  await users.create(user, issued.hash, auditEntry(call, 'user.create', ADMIN_LOGIN, { role: 'admin' }));
  return issued.token;
}

export async function replaceAdminToken(users: UserStore, clock: Clock, token?: string): Promise<string> {
  const issued = issueToken(token);
  const call = { principal: SYSTEM, requestId: 'bootstrap', clock };
  await users.replaceToken(
    ADMIN_LOGIN,
    issued.id,
    issued.hash,
    auditEntry(call, 'user.token.replace', 'admin'),
  );
  return issued.token;
}

interface UserRequest {
  login: string;
  name?: string;
  role: Role;
  environments?: string[];
  expiresAt?: string;
  groups?: string[];
  email?: string;
  slackUserId?: string;
}

/** `POST /api/user` (GimletD's `{login, admin}`, the gimlet CLI's whole User struct, Ferry's roles). */
export const USER_SCHEMA = object(
  {
    login: { type: 'string', maxLength: 64, description: 'letters, digits and . _ @ -' },
    role: nullable({
      type: 'string',
      enum: ROLES,
      description: 'default: admin if admin=true, flux for login flux, else ci',
    }),
    admin: nullable({ type: 'boolean', description: 'GimletD’s flag; must agree with role' }),
    environments: nullable({
      type: 'array',
      items: { type: 'string' },
      description: 'limit the token to these',
    }),
    expiresAt: nullable({ type: 'string', format: 'date-time', description: 'the token stops working then' }),
    token: nullable({ type: 'string', maxLength: 0, description: 'issued by the server' }),
    name: nullable({ type: 'string', maxLength: 200 }),
    groups: nullable({
      type: 'array',
      items: { type: 'string' },
      description: 'groups the user belongs to (approval rules name one, e.g. release-approvers)',
    }),
    email: nullable({
      type: 'string',
      maxLength: 254,
      description: 'matched against commit authors (no self-approval)',
    }),
    slackUserId: nullable({
      type: 'string',
      maxLength: 32,
      description: 'Slack member id (U…) for approving from Slack',
    }),
    // The gimlet CLI posts its whole dashboard User struct: these arrive as null.
    favoriteRepos: nullable({ type: 'array', maxItems: 0 }),
    favoriteServices: nullable({ type: 'array', maxItems: 0 }),
  },
  { required: ['login'] },
);

/** `GET /api/user/{login}` and `GET /api/audit`. */
export const USER_QUERY: QuerySpec = {
  withToken: {
    description: 'true: issue a new token (the old one stops)',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
};
export const AUDIT_QUERY: QuerySpec = {
  limit: { description: 'entries (default 50)', schema: { type: 'integer', minimum: 1, maximum: 500 } },
};

type UserField = keyof UserRequest | 'admin' | 'token' | 'favoriteRepos' | 'favoriteServices';

function parseUserRequest(body: unknown, now: Date): UserRequest {
  const f = readFields<UserField>(USER_SCHEMA, body, '');
  unsupported(f.favoriteRepos, 'favoriteRepos', "Ferry's dashboard keeps no favorites");
  unsupported(f.favoriteServices, 'favoriteServices', "Ferry's dashboard keeps no favorites");
  if (f.token !== undefined && f.token !== null && f.token !== '') {
    invalid('token', 'is issued by the server and cannot be chosen');
  }
  const login = requiredString(f.login, 'login', 64);
  if (!isLogin(login)) invalid('login', 'must be 1-64 letters, digits, and . _ @ - (starting alphanumeric)');
  const admin = optionalBoolean(f.admin, 'admin');
  const roleText = optionalString(f.role, 'role');
  const role = roleText === undefined ? defaultRole(login, admin) : oneOf(roleText, 'role', ROLES);
  if (admin !== undefined && admin !== (role === 'admin')) {
    invalid('admin', `contradicts role ${role}`);
  }
  const environments = parseEnvironments(f.environments);
  // An admin manages users, tokens and environments for the whole install: a limit on one could always
  // be widened by the admin it limits, so scoped admins do not exist. Scope a deployer instead.
  if (role === 'admin' && environments) {
    invalid('environments', 'an admin cannot be limited to environments; give a deployer token that limit');
  }
  return compact<UserRequest>({
    login,
    name: optionalString(f.name, 'name', 200),
    role,
    environments,
    expiresAt: parseExpiry(f.expiresAt, now),
    groups: parseGroups(f.groups),
    email: optionalString(f.email, 'email', 254),
    slackUserId: parseSlackId(f.slackUserId),
  });
}

/**
 * Without a role: `admin: true` makes an admin; the login `flux` gets the flux role, because GimletD's
 * setup creates the Flux webhook's user exactly so (`POST /api/user {"login":"flux"}`); anyone else is ci.
 */
function defaultRole(login: string, admin: boolean | undefined): Role {
  if (admin) return 'admin';
  return login === FLUX_LOGIN ? 'flux' : 'ci';
}

export const FLUX_LOGIN = 'flux';

function parseGroups(value: unknown): string[] | undefined {
  const groups = optionalArray(value, 'groups');
  if (!groups) return undefined;
  return groups.map((g, i) => {
    if (typeof g !== 'string' || !isDnsLabel(g)) invalid(join('groups', i), 'must be a DNS-1123 label');
    return g as string;
  });
}

function parseSlackId(value: unknown): string | undefined {
  const id = optionalString(value, 'slackUserId', 32);
  if (id !== undefined && !/^[UW][A-Z0-9]{2,}$/.test(id))
    invalid('slackUserId', 'must be a Slack member id like U024BE7LH');
  return id;
}

function parseEnvironments(value: unknown): string[] | undefined {
  const environments = optionalArray(value, 'environments');
  if (!environments) return undefined;
  if (environments.length === 0) invalid('environments', 'must list at least one environment when given');
  return environments.map((env, i) => {
    const name = requiredString(env, join('environments', i), 63);
    if (!isDnsLabel(name)) invalid(join('environments', i), `must be a DNS-1123 label, got "${name}"`);
    return name;
  });
}

function parseExpiry(value: unknown, now: Date): string | undefined {
  const expiresAt = optionalString(value, 'expiresAt', 64);
  if (expiresAt === undefined) return undefined;
  const ms = rfc3339(expiresAt, 'expiresAt');
  if (ms <= now.getTime()) invalid('expiresAt', 'must be in the future');
  return new Date(ms).toISOString();
}

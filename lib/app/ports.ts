import type { Role } from '../domain/access.ts';
import type { Artifact } from '../domain/artifact.ts';
import type { AuditEntry } from '../domain/audit.ts';
import type { ArtifactQuery } from '../domain/query.ts';

/** Narrow interfaces in the domain's terms; adapters under lib/adapters implement them. */

export interface Clock {
  now(): Date;
}

export interface ArtifactStore {
  /** Stores the artifact and its audit record together, or neither. */
  put(artifact: Artifact, receivedAt: Date, audit: AuditEntry): Promise<void>;
  get(id: string): Promise<Artifact | undefined>;
  list(query: ArtifactQuery): Promise<Artifact[]>;
}

export interface User {
  login: string;
  /** Display name (Gimlet's `name`). */
  name?: string;
  role: Role;
  environments?: string[];
  /** RFC 3339; the token stops working at this instant. */
  expiresAt?: string;
  createdAt: string;
  createdBy: string;
  tokenId: string;
}

/** What a token grants: looked up by the token's hash on every request. */
export interface TokenGrant {
  login: string;
  role: Role;
  environments?: string[];
  expiresAt?: string;
  tokenId: string;
}

export interface UserStore {
  /** Throws ConflictError when the login exists. */
  create(user: User, tokenHash: string, audit: AuditEntry): Promise<void>;
  get(login: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Removes the user and its token at once; false when there was no such user. */
  delete(login: string, audit: AuditEntry): Promise<boolean>;
  /** Replaces the user's token; the old one stops working in the same write. Throws NotFoundError. */
  replaceToken(login: string, tokenId: string, tokenHash: string, audit: AuditEntry): Promise<User>;
  findGrant(tokenHash: string): Promise<TokenGrant | undefined>;
}

export interface AuditLog {
  list(limit: number): Promise<AuditEntry[]>;
}

/** The admin credential kept outside the user table (Secrets Manager on Lambda). */
export interface AdminCredential {
  matches(tokenHash: string): Promise<boolean>;
}

/** The API's shapes as the dashboard reads them (lib/app/release-views.ts and friends on the server). */
export interface Version {
  repositoryName: string;
  sha: string;
  created?: number;
  branch?: string;
  event: string;
  tag?: string;
  authorName?: string;
  authorEmail?: string;
  message?: string;
  url?: string;
}

export interface Hold {
  by: string;
  at: string;
  reason: string;
  requestId: string;
}

export interface Release {
  app: string;
  env: string;
  artifactId: string;
  triggeredBy: string;
  version: Version | null;
  gitopsRef: string;
  gitopsRepo: string;
  created: number;
  rolledBack?: boolean;
  requestId: string;
  intent: string;
  targetSha?: string;
  hold?: Hold;
  cause?: string;
}

export interface Cell {
  env: string;
  app: string;
  release: Release | null;
  hold?: Hold;
  state?: string;
  reason?: string;
  preview: boolean;
}

export interface StateChange {
  state: string;
  at: string;
  reason?: string;
  gitopsSha?: string;
}

export interface ReleaseRequest {
  id: string;
  intent: string;
  env: string;
  app: string;
  artifactId?: string;
  targetSha?: string;
  cause?: string;
  triggeredBy: string;
  createdAt: string;
  state: string;
  reason?: string;
  gitopsSha?: string;
  states: StateChange[];
}

export interface Me {
  login: string;
  role: string;
  environments?: string[];
  may: string[];
}

export interface Artifact {
  id: string;
  created: number;
  version: Version;
  environments: { env: string; app: string }[];
}

export interface Preview {
  dryRun: true;
  env: string;
  app: string;
  artifactId: string;
  currentGitopsSha: string | null;
  changes: { path: string; change: string }[];
  diff: string;
  blockedBy?: string;
}

export interface Decision {
  env: string;
  app: string;
  matched: boolean;
  reasons: string[];
  target?: { env: string; app: string };
  outcome?: string;
}

export interface Policy {
  kind: string;
  id: string;
  env: string;
  app?: string;
  branch: string;
  source: string;
  createdBy?: string;
  createdAt?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  requestId?: string;
  detail?: Record<string, string>;
}

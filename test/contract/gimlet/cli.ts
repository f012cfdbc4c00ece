import { type CliVersion, type Dx, dx } from './dx.ts';
import { type GoValue, goMarshal, goUnmarshal } from './go-json.ts';

/**
 * The gimlet CLI's commands as HTTP calls and client logic, per tag: gimlet-io/gimlet
 * `pkg/client/client.go` (URLs, query strings built with fmt.Sprintf and no escaping, `open()` turning any
 * status above 206 into `client error <code>: <body>`, `do()` json-decoding every answer) and
 * `pkg/commands/{artifact,release}/*.go` (what is printed, when the command fails). The track loop follows
 * `artifact/track.go` / `release/track.go` and `dx.ReleaseStatus.ExtractGitopsEndState`; Go polls every
 * 5 s, the tests poll faster (`pollMs`) and otherwise keep the loop as written.
 */
export interface CliRun {
  /** 0 or 1, as the gimlet binary exits (urfave/cli prints the error and exits 1). */
  exitCode: number;
  stdout: string[];
  error?: string;
}

export interface Sent {
  method: string;
  path: string;
  body?: string;
}

export class GimletCli {
  readonly dx: Dx;
  /** Every request sent, for asserting the exact bytes. */
  readonly sent: Sent[] = [];

  constructor(
    readonly version: CliVersion,
    private readonly server: string,
    private readonly token: string,
  ) {
    this.dx = dx(version);
  }

  /** `client.open` + `client.do`: Bearer token (oauth2 static source), JSON body with Content-Type. */
  private async call(method: string, path: string, body?: string): Promise<string> {
    this.sent.push({ method, path, ...(body !== undefined ? { body } : {}) });
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.server + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    if (res.status > 206) throw new Error(`client error ${res.status}: ${text}`);
    return text;
  }

  private async run(fn: (out: string[]) => Promise<number | undefined>): Promise<CliRun> {
    const stdout: string[] = [];
    try {
      const code = await fn(stdout);
      return { exitCode: code ?? 0, stdout };
    } catch (error) {
      return { exitCode: 1, stdout, error: (error as Error).message };
    }
  }

  /** `gimlet artifact push -f artifact.json --output json`: POST the artifact, print it re-encoded. */
  artifactPush(artifact: GoValue): Promise<CliRun & { artifact?: any }> {
    let saved: any;
    return this.run(async (out) => {
      const text = await this.call('POST', '/api/artifact', goMarshal(this.dx.Artifact, artifact));
      saved = goUnmarshal(this.dx.Artifact, text);
      out.push(goMarshal(this.dx.Artifact, saved));
      return 0;
    }).then((r) => ({ ...r, artifact: saved }));
  }

  /** `gimlet artifact list`: `ArtifactsGet` (limit, offset, since, until, repository, branch, event, sourceBranch, sha…). */
  artifactList(q: { repository?: string; branch?: string; event?: string; sha?: string[]; limit?: number }) {
    let list: any[] = [];
    return this.run(async () => {
      const params: string[] = [];
      if (q.limit) params.push(`limit=${q.limit}`);
      if (q.repository) params.push(`repository=${q.repository}`);
      if (q.branch) params.push(`branch=${q.branch}`);
      if (q.event) params.push(`event=${q.event}`);
      for (const s of q.sha ?? []) params.push(`sha=${s}`);
      const text = await this.call('GET', `/api/artifacts${params.length ? `?${params.join('&')}` : ''}`);
      list = text === '[]' ? [] : ((goUnmarshal(this.dx.Artifacts, text) as any[] | null) ?? []);
      return 0;
    }).then((r) => ({ ...r, list }));
  }

  /** `gimlet artifact track [--wait] <id>` and `gimlet release track [--wait] <id>`. */
  track(
    kind: 'artifact' | 'release',
    id: string,
    options: { wait?: boolean; timeoutMs?: number; pollMs?: number } = {},
  ): Promise<CliRun> {
    const path =
      kind === 'artifact' ? `/api/eventArtifactTrack?artifactId=${id}` : `/api/eventReleaseTrack?id=${id}`;
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    return this.run(async (out) => {
      for (;;) {
        const status = goUnmarshal(this.dx.ReleaseStatus, await this.call('GET', path)) as any;
        out.push(`👉 Request (${id}) is ${status.status} ${status.statusDesc}`);
        if (status.status === 'new') {
          out.push(`\t⏳ The ${kind} is not processed yet...`);
        } else if (status.status === 'error') {
          throw new Error(status.statusDesc);
        } else {
          const results: any[] = status.results ?? [];
          if (results.length === 0) {
            out.push(
              kind === 'artifact'
                ? "\t🔖 The artifact didn't trigger any release policies"
                : "\t🔖 The release didn't generate any gitops commits",
            );
          }
          for (const r of results) {
            if (r.status === 'failure') {
              out.push(`\t❗ ${r.app} -> ${r.env}, status is ${r.status}, ${r.statusDesc}`);
            } else if (r.gitopsCommitStatus.includes('Failed')) {
              out.push(
                `\t❗ ${r.app} -> ${r.env}, gitops hash: ${r.hash}, status: ${r.gitopsCommitStatus}, ${r.gitopsCommitStatusDesc}`,
              );
            } else {
              out.push(`\t📖 ${r.app} -> ${r.env}, gitops hash ${r.hash}, status is ${r.gitopsCommitStatus}`);
            }
          }
          const { applied, failed } = extractGitopsEndState(results);
          if (failed) throw new Error('gitops commits have failed to apply');
          if (applied) return 0;
        }
        if (!options.wait) return 0;
        if (Date.now() > deadline) {
          throw new Error(kind === 'artifact' ? 'wait timed timed out' : 'process timed out');
        }
        await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
      }
    });
  }

  /** `gimlet release make --env --artifact [--app] --output json`: `ReleasesPost`, then `res["id"].(string)`. */
  releaseMake(env: string, artifactId: string, app = ''): Promise<CliRun & { id?: string }> {
    let id: string | undefined;
    return this.run(async (out) => {
      const body = goMarshal(this.dx.ReleaseRequest, { env, app, artifactId, tenant: '', triggeredBy: '' });
      const result = goUnmarshal(
        { k: 'map', elem: { k: 'any' } },
        await this.call('POST', '/api/releases', body),
      );
      const value = (result as Record<string, unknown> | null)?.id;
      // A type assertion on a missing or non-string id panics: the binary exits 2 with a stack trace.
      if (typeof value !== 'string')
        throw new Error('panic: interface conversion: interface {} is not string');
      id = value;
      out.push(JSON.stringify({ id }, null, 2));
      return 0;
    }).then((r) => ({ ...r, ...(id ? { id } : {}) }));
  }

  /** `gimlet release rollback --env --app --to`: POST with the query string and no body. */
  releaseRollback(env: string, app: string, sha: string): Promise<CliRun & { id?: string }> {
    let id: string | undefined;
    return this.run(async () => {
      const text = await this.call('POST', `/api/rollback?env=${env}&app=${app}&sha=${sha}`);
      const value = (goUnmarshal({ k: 'map', elem: { k: 'any' } }, text) as Record<string, unknown>)?.id;
      if (typeof value !== 'string')
        throw new Error('panic: interface conversion: interface {} is not string');
      id = value;
      return 0;
    }).then((r) => ({ ...r, ...(id ? { id } : {}) }));
  }

  /** `gimlet release delete --env --app`: POST, decode into a map, print "deleted" on any 2xx. */
  releaseDelete(env: string, app: string): Promise<CliRun> {
    return this.run(async (out) => {
      goUnmarshal(
        { k: 'map', elem: { k: 'any' } },
        await this.call('POST', `/api/delete?env=${env}&app=${app}`),
      );
      out.push('🙆 Application instance deleted');
      return 0;
    });
  }

  /** `gimlet release status --env [--app]`: `map[string]*dx.Release`, one line per app (sorted). */
  releaseStatus(env: string, app = ''): Promise<CliRun & { releases?: Record<string, any> }> {
    let releases: Record<string, any> | undefined;
    return this.run(async (out) => {
      const params = [app ? `app=${app}` : '', `env=${env}`].filter(Boolean).join('&');
      const text = await this.call('GET', `/api/status?${params}`);
      releases = text === '[]' ? {} : ((goUnmarshal(this.dx.StatusMap, text) as Record<string, any>) ?? {});
      for (const name of Object.keys(releases).sort()) {
        const r = releases[name];
        out.push(
          r
            ? `${r.app} -> ${r.env} ${r.gitopsRepo}@${r.gitopsRef}${r.rolledBack ? ' **ROLLED BACK**' : ''} (${r.created})`
            : 'Release data not available',
        );
      }
      return 0;
    }).then((r) => ({ ...r, ...(releases ? { releases } : {}) }));
  }

  /** `gimlet release list --env [--app] [--limit]`: `ReleasesGet` (CLI default limit 3). */
  releaseList(env: string, app = '', limit = 3): Promise<CliRun & { releases?: any[] }> {
    let releases: any[] | undefined;
    return this.run(async (out) => {
      const params = [`limit=${limit}`, app ? `app=${app}` : '', `env=${env}`].filter(Boolean).join('&');
      const text = await this.call('GET', `/api/releases?${params}`);
      releases = text === '[]' ? [] : ((goUnmarshal(this.dx.Releases, text) as any[] | null) ?? []);
      for (const r of [...releases].reverse()) {
        out.push(
          `${r.app} -> ${r.env} ${r.gitopsRepo}@${r.gitopsRef}${r.rolledBack ? ' **ROLLED BACK**' : ''}`,
        );
      }
      return 0;
    }).then((r) => ({ ...r, ...(releases ? { releases } : {}) }));
  }
}

/** `dx.ReleaseStatus.ExtractGitopsEndState`: zero results count as all applied. */
export function extractGitopsEndState(results: any[]): { applied: boolean; failed: boolean } {
  let failedCount = 0;
  let succeededCount = 0;
  for (const r of results) {
    if (r.gitopsCommitStatus.includes('Failed') || r.status === 'failure') failedCount++;
    else if (r.gitopsCommitStatus === 'ReconciliationSucceeded') succeededCount++;
  }
  return { applied: succeededCount === results.length, failed: failedCount > 0 };
}

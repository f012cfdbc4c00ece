import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git, { type TreeEntry } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { CommitInfo, FolderChange, GitopsRepo } from '../../app/ports.ts';

export interface GitopsRepoOptions {
  url: string;
  branch: string;
  /** Where the clone lives; kept across warm Lambda invocations (/tmp). */
  cacheDir: string;
  /** HTTPS token (GitHub: any user name with the token as password). */
  token?: () => Promise<string | undefined>;
  author?: { name: string; email: string };
}

const REMOTE = 'origin';
const FILE_MODE = '100644';
const TREE_MODE = '040000';
const ZERO_OID = '0'.repeat(40);

/**
 * The gitops repository through isomorphic-git, with no working tree: commits are built by writing the
 * touched blobs and trees directly, so the cost of a release does not grow with the repository's size
 * (GimletD copied the whole clone and ran a status scan per write).
 */
export function makeGitopsRepo(options: GitopsRepoOptions): GitopsRepo {
  const gitdir = join(
    options.cacheDir,
    createHash('sha256').update(`${options.url}#${options.branch}`).digest('hex').slice(0, 16),
  );
  const remoteRef = `refs/remotes/${REMOTE}/${options.branch}`;
  const localRef = `refs/heads/${options.branch}`;
  const author = options.author ?? { name: 'Ferry', email: 'ferry@localhost' };
  // isomorphic-git keeps parsed pack indexes here; reusing it across calls is what keeps a warm writer fast.
  const cache = {};
  let initialised = false;

  const onAuth = options.token
    ? async () => {
        const token = await options.token?.();
        return token ? { username: 'x-access-token', password: token } : {};
      }
    : undefined;

  async function init(): Promise<void> {
    if (initialised) return;
    if (!fs.existsSync(join(gitdir, 'HEAD'))) {
      await git.init({ fs, gitdir, bare: true, defaultBranch: options.branch });
    }
    // Fetch needs the remote's refspec in the config; `force` keeps the URL current if it changed.
    await git.addRemote({ fs, gitdir, remote: REMOTE, url: options.url, force: true });
    initialised = true;
  }

  async function resolve(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir, ref });
    } catch {
      return undefined;
    }
  }

  async function treeOf(oid: string | undefined): Promise<TreeEntry[]> {
    if (!oid) return [];
    return (await git.readTree({ fs, gitdir, oid, cache })).tree;
  }

  /** Writes the trees from `segments`' leaf up to the root; undefined for a tree that became empty. */
  async function replacePath(
    treeOid: string | undefined,
    segments: string[],
    leaf: string | undefined,
  ): Promise<string | undefined> {
    const [name, ...rest] = segments;
    if (name === undefined) return leaf;
    const entries = await treeOf(treeOid);
    const existing = entries.find((e) => e.path === name);
    const child = await replacePath(existing?.type === 'tree' ? existing.oid : undefined, rest, leaf);
    const next = entries.filter((e) => e.path !== name);
    if (child) next.push({ mode: TREE_MODE, path: name, oid: child, type: 'tree' });
    if (next.length === 0) return undefined;
    return git.writeTree({ fs, gitdir, tree: next });
  }

  /** The tree oid of `dir` at `commit`, or undefined when the commit does not have it. */
  async function dirAt(commit: string | undefined, dir: string): Promise<string | undefined> {
    if (!commit) return undefined;
    let oid: string | undefined = (await git.readCommit({ fs, gitdir, oid: commit, cache })).commit.tree;
    for (const name of dir.split('/')) {
      const entry: TreeEntry | undefined = (await treeOf(oid)).find((e) => e.path === name);
      if (entry?.type !== 'tree') return undefined;
      oid = entry.oid;
    }
    return oid;
  }

  async function folderTree(change: FolderChange): Promise<string | undefined> {
    if (change.kind === 'remove') return undefined;
    if (change.kind === 'restore') return dirAt(change.from, change.dir);
    const tree: TreeEntry[] = [];
    for (const file of change.files) {
      const oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(file.content) });
      tree.push({ mode: FILE_MODE, path: file.name, oid, type: 'blob' });
    }
    return tree.length === 0 ? undefined : git.writeTree({ fs, gitdir, tree });
  }

  return {
    url: options.url,

    async sync() {
      await init();
      try {
        await git.fetch({
          fs,
          http,
          gitdir,
          cache,
          remote: REMOTE,
          ref: options.branch,
          remoteRef: options.branch,
          singleBranch: true,
          tags: false,
          ...(onAuth ? { onAuth } : {}),
        });
      } catch (error) {
        // An empty remote has no branch to fetch yet: the first commit will create it.
        if ((error as { code?: string }).code !== 'NotFoundError' || (await resolve(remoteRef))) throw error;
        return undefined;
      }
      return resolve(remoteRef);
    },

    async recentCommits(head, since) {
      const found: CommitInfo[] = [];
      const seen = new Set<string>();
      const queue = head ? [head] : [];
      while (queue.length > 0) {
        const oid = queue.shift() as string;
        if (seen.has(oid)) continue;
        seen.add(oid);
        const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
        const time = new Date(commit.committer.timestamp * 1000);
        if (time < since) continue;
        found.push({ sha: oid, message: commit.message, time });
        queue.push(...commit.parent);
      }
      return found;
    },

    async commit(parent, change, message, at) {
      await init();
      const rootBefore = parent
        ? (await git.readCommit({ fs, gitdir, oid: parent, cache })).commit.tree
        : undefined;
      const leaf = await folderTree(change);
      const root =
        (await replacePath(rootBefore, change.dir.split('/'), leaf)) ??
        (await git.writeTree({ fs, gitdir, tree: [] }));
      if (root === rootBefore) return undefined;
      const signature = { ...author, timestamp: Math.floor(at.getTime() / 1000), timezoneOffset: 0 };
      return git.commit({
        fs,
        gitdir,
        cache,
        message,
        tree: root,
        parent: parent ? [parent] : [],
        author: signature,
        committer: signature,
        noUpdateBranch: true,
      });
    },

    async changedDir(sha, dir) {
      try {
        const { commit } = await git.readCommit({ fs, gitdir, oid: sha, cache });
        const after = await dirAt(sha, dir);
        const before = await dirAt(commit.parent[0], dir);
        return after !== before;
      } catch {
        return false;
      }
    },

    async readFile(sha, path) {
      try {
        const { blob } = await git.readBlob({ fs, gitdir, oid: sha, filepath: path, cache });
        return Buffer.from(blob).toString('utf8');
      } catch {
        return undefined;
      }
    },

    async readFolder(sha, dir) {
      const oid = await dirAt(sha, dir);
      if (!oid) return undefined;
      const files = new Map<string, string>();
      for (const entry of await treeOf(oid)) {
        if (entry.type !== 'blob') continue;
        const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid, cache });
        files.set(entry.path, Buffer.from(blob).toString('utf8'));
      }
      return files;
    },

    async push(expected, head) {
      await git.writeRef({ fs, gitdir, ref: localRef, value: head, force: true });
      try {
        const result = await git.push({
          fs,
          http,
          gitdir,
          cache,
          url: options.url,
          ref: localRef,
          remoteRef: localRef,
          // Compare-and-swap: push only while the remote still has the head we built on.
          onPrePush: ({ remoteRef: remote }) => remote.oid === (expected ?? ZERO_OID),
          ...(onAuth ? { onAuth } : {}),
        });
        if (!result.ok) return false;
      } catch (error) {
        // Someone else pushed since our fetch: isomorphic-git refuses the non-fast-forward, or the server
        // refuses the ref update. Both mean "fetch and re-apply".
        const code = (error as { code?: string }).code;
        if (code === 'PushRejectedError' || code === 'GitPushError' || code === 'UserCanceledError')
          return false;
        throw error;
      }
      await git.writeRef({ fs, gitdir, ref: remoteRef, value: head, force: true });
      return true;
    },
  };
}

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git, { type TreeEntry } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { CommitInfo, FolderChange, GitopsRepo } from '../../app/ports.ts';
import { buildPack, encodeCommit, encodeTree, ObjectWriter } from './objects.ts';
import { receivePack } from './receive-pack.ts';

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
/** Parsed trees and commits are immutable by oid; this many are kept between warm invocations. */
const CACHE_LIMIT = 20_000;

interface ParsedCommit {
  tree: string;
  parent: string[];
  message: string;
  time: number;
}

function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as string);
  map.set(key, value);
  return value;
}

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
  const trees = new Map<string, TreeEntry[]>();
  const commits = new Map<string, ParsedCommit>();
  const objects = new ObjectWriter(gitdir);
  let initialised = false;

  const onAuth = options.token
    ? async () => {
        const token = await options.token?.();
        return token ? { username: 'x-access-token', password: token } : {};
      }
    : undefined;

  async function authorization(): Promise<string | undefined> {
    const token = await options.token?.();
    return token ? `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` : undefined;
  }

  async function readCommit(oid: string): Promise<ParsedCommit> {
    const hit = commits.get(oid);
    if (hit) return hit;
    const { commit } = await git.readCommit({ fs, gitdir, oid, cache });
    return remember(commits, oid, {
      tree: commit.tree,
      parent: commit.parent,
      message: commit.message,
      time: commit.committer.timestamp * 1000,
    });
  }

  async function writeTree(entries: TreeEntry[]): Promise<string> {
    const oid = await objects.write('tree', encodeTree(entries));
    remember(trees, oid, entries);
    return oid;
  }

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
    return trees.get(oid) ?? remember(trees, oid, (await git.readTree({ fs, gitdir, oid, cache })).tree);
  }

  /**
   * Writes the trees from `segments`' leaf (a tree, or a blob when `blob` is set) up to the root;
   * undefined for a tree that became empty.
   */
  async function replacePath(
    treeOid: string | undefined,
    segments: string[],
    leaf: string | undefined,
    blob = false,
  ): Promise<string | undefined> {
    const [name, ...rest] = segments;
    if (name === undefined) return leaf;
    const entries = await treeOf(treeOid);
    const existing = entries.find((e) => e.path === name);
    const next = entries.filter((e) => e.path !== name);
    if (rest.length === 0 && blob) {
      if (leaf) next.push({ mode: FILE_MODE, path: name, oid: leaf, type: 'blob' });
    } else {
      const child = await replacePath(existing?.type === 'tree' ? existing.oid : undefined, rest, leaf, blob);
      if (child) next.push({ mode: TREE_MODE, path: name, oid: child, type: 'tree' });
    }
    if (next.length === 0) return undefined;
    return writeTree(next);
  }

  /** Sets (or, for undefined content, removes) one file under `root`. */
  async function editPath(
    root: string | undefined,
    path: string,
    content: string | undefined,
  ): Promise<string | undefined> {
    const blob = content === undefined ? undefined : await objects.write('blob', Buffer.from(content));
    return replacePath(root, path.split('/'), blob, true);
  }

  /** The tree oid of `dir` at `commit`, or undefined when the commit does not have it. */
  async function dirAt(commit: string | undefined, dir: string): Promise<string | undefined> {
    if (!commit) return undefined;
    let oid: string | undefined = (await readCommit(commit)).tree;
    for (const name of dir.split('/')) {
      const entry: TreeEntry | undefined = (await treeOf(oid)).find((e) => e.path === name);
      if (entry?.type !== 'tree') return undefined;
      oid = entry.oid;
    }
    return oid;
  }

  async function folderTree(change: Exclude<FolderChange, { kind: 'merge' }>): Promise<string | undefined> {
    if (change.kind === 'remove') return undefined;
    if (change.kind === 'restore') return dirAt(change.from, change.dir);
    const tree: TreeEntry[] = [];
    for (const file of change.files) {
      const oid = await objects.write('blob', Buffer.from(file.content));
      tree.push({ mode: FILE_MODE, path: file.name, oid, type: 'blob' });
    }
    return tree.length === 0 ? undefined : writeTree(tree);
  }

  return {
    url: options.url,

    async sync() {
      await init();
      // Objects of an attempt that lost its push are garbage now; only new ones go into the next pack.
      objects.reset();
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
      const head = await resolve(remoteRef);
      // isomorphic-git tells the server what we have from the local branch: keep it at the remote head,
      // or every fetch downloads the whole repository again.
      if (head) await git.writeRef({ fs, gitdir, ref: localRef, value: head, force: true });
      return head;
    },

    async recentCommits(head, since) {
      const found: CommitInfo[] = [];
      const seen = new Set<string>();
      const queue = head ? [head] : [];
      while (queue.length > 0) {
        const oid = queue.shift() as string;
        if (seen.has(oid)) continue;
        seen.add(oid);
        const commit = await readCommit(oid);
        const time = new Date(commit.time);
        if (time < since) continue;
        found.push({ sha: oid, message: commit.message, time });
        queue.push(...commit.parent);
      }
      return found;
    },

    async commit(parent, change, message, at) {
      await init();
      const rootBefore = parent ? (await readCommit(parent)).tree : undefined;
      let tree: string | undefined = rootBefore;
      if (change.kind === 'merge') {
        for (const file of change.files)
          tree = await editPath(tree, `${change.dir}/${file.name}`, file.content);
      } else {
        tree = await replacePath(rootBefore, change.dir.split('/'), await folderTree(change));
      }
      for (const edit of change.edits ?? []) tree = await editPath(tree, edit.path, edit.content);
      const root = tree ?? (await writeTree([]));
      if (root === rootBefore) return undefined;
      const timestamp = Math.floor(at.getTime() / 1000);
      return objects.write(
        'commit',
        encodeCommit({
          tree: root,
          parents: parent ? [parent] : [],
          author: { ...author, timestamp },
          message,
        }),
      );
    },

    async changedDir(sha, dir) {
      try {
        const commit = await readCommit(sha);
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

    async listFolders(sha, dir) {
      const oid = await dirAt(sha, dir);
      if (!oid) return [];
      return (await treeOf(oid)).filter((e) => e.type === 'tree').map((e) => e.path);
    },

    async push(expected, head) {
      const authHeader = await authorization();
      const result = await receivePack({
        url: options.url,
        ref: localRef,
        oldOid: expected,
        newOid: head,
        pack: buildPack([...objects.pending.values()]),
        ...(authHeader ? { authorization: authHeader } : {}),
      });
      // A refusal means someone else moved the branch since our fetch: the caller fetches and re-applies.
      if (!result.ok) return { pushed: false, reason: result.reason };
      await git.writeRef({ fs, gitdir, ref: remoteRef, value: head, force: true });
      await git.writeRef({ fs, gitdir, ref: localRef, value: head, force: true });
      objects.reset();
      return { pushed: true };
    },
  };
}

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { TreeEntry } from 'isomorphic-git';
// The namespace, not the default export (an object of every command): the bundles keep only the
// commands named here (cdk/ferry-function.ts aliases the package to its ES module build).
import * as git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { CommitInfo, FolderChange, GitopsRepo } from '../../app/ports.ts';
import { gitError, missing } from './errors.ts';
import { blobOid, buildPack, decodeTree, encodeCommit, encodeTree, ObjectWriter } from './objects.ts';
import { receivePack } from './receive-pack.ts';

export interface GitopsRepoOptions {
  url: string;
  branch: string;
  /** Where the clone lives; kept across warm Lambda invocations (/tmp). */
  cacheDir: string;
  /** The clone starts over (shallow again) once its objects take more than this; default 200 MB. */
  maxCloneBytes?: number;
  /** How often, in fetches, the clone's size is measured; default 50. */
  sizeCheckEvery?: number;
  /** HTTPS token (GitHub: any user name with the token as password). */
  token?: () => Promise<string | undefined>;
  author?: { name: string; email: string };
}

const REMOTE = 'origin';
const FILE_MODE = '100644';
const TREE_MODE = '040000';
/** Parsed trees and commits are immutable by oid; this many are kept between warm invocations. */
const CACHE_LIMIT = 20_000;
/** Lambda's /tmp is 512 MB by default: a clone bigger than this is dropped and fetched shallow again. */
const MAX_CLONE_BYTES = 200 * 1024 * 1024;
/** How often (in fetches) the clone's size is measured; every fetch and release adds objects. */
const SIZE_CHECK_EVERY = 50;
/** First step of deepening towards an old commit (a rollback target); each next step is 8 times deeper. */
const DEEPEN_FIRST = 64;

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

/** An object this clone does not have (yet): fetching deeper may bring it. */
const notFetched = (error: unknown) => (error as { code?: unknown } | null)?.code === 'NotFoundError';

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
  let cache = {};
  const trees = new Map<string, TreeEntry[]>();
  const commits = new Map<string, ParsedCommit>();
  const objects = new ObjectWriter(gitdir);
  let initialised = false;
  let fetches = 0;
  /** The head this clone pushed last, while nothing said the remote moved since. */
  let pushedHead: string | undefined;
  /** A persist of pushed objects still running; the next fetch waits for it. */
  let persisting: Promise<void> = Promise.resolve();

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
    const oid = objects.write('tree', encodeTree(entries));
    remember(trees, oid, entries);
    return oid;
  }

  /** A blob's text: from the objects this writer made (in memory), else from the clone. */
  async function readBlob(oid: string): Promise<string> {
    const own = objects.get(oid);
    if (own) return own.content.toString('utf8');
    const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
    return Buffer.from(blob).toString('utf8');
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
    } catch (error) {
      // Only a ref that does not exist (yet) is an answer; a failing read of .git/refs is not.
      if (missing(error)) return undefined;
      throw error;
    }
  }

  async function treeOf(oid: string | undefined): Promise<TreeEntry[]> {
    if (!oid) return [];
    const hit = trees.get(oid);
    if (hit) return hit;
    const own = objects.get(oid);
    if (own) return remember(trees, oid, decodeTree(own.content));
    return remember(trees, oid, (await git.readTree({ fs, gitdir, oid, cache })).tree);
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
    const blob = content === undefined ? undefined : objects.write('blob', Buffer.from(content));
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
      const oid = objects.write('blob', Buffer.from(file.content));
      tree.push({ mode: FILE_MODE, path: file.name, oid, type: 'blob' });
    }
    return tree.length === 0 ? undefined : writeTree(tree);
  }

  async function fetchBranch(deepen: { depth?: number; since?: Date; relative?: boolean }): Promise<void> {
    await persisting.catch(() => undefined);
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
      ...deepen,
      ...(onAuth ? { onAuth } : {}),
    });
  }

  /** Commits at the clone's shallow boundary: their parents were not fetched. */
  async function shallowCommits(): Promise<Set<string>> {
    try {
      const text = await fs.promises.readFile(join(gitdir, 'shallow'), 'utf8');
      return new Set(text.split('\n').filter((line) => line !== ''));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
  }

  /**
   * Commits reachable from `head` at or after `since`; `complete` is false when the walk reached the
   * shallow boundary (or `head` itself is not here) before leaving the window, so older commits are needed.
   */
  async function walkSince(
    head: string,
    since: Date,
    final = false,
  ): Promise<{ found: CommitInfo[]; complete: boolean }> {
    const shallow = await shallowCommits();
    const found: CommitInfo[] = [];
    const seen = new Set<string>();
    const queue = [head];
    let complete = true;
    while (queue.length > 0) {
      const oid = queue.shift() as string;
      if (seen.has(oid)) continue;
      seen.add(oid);
      let commit: ParsedCommit;
      try {
        commit = await readCommit(oid);
      } catch (error) {
        if (!notFetched(error) || final || oid !== head) throw error;
        return { found: [], complete: false };
      }
      const time = new Date(commit.time);
      if (time < since) continue;
      found.push({ sha: oid, message: commit.message, time });
      if (shallow.has(oid) && commit.parent.length > 0) {
        complete = false;
        continue;
      }
      queue.push(...commit.parent);
    }
    return { found, complete: complete || final };
  }

  /**
   * Makes sure commit `sha` and its first parent are in the clone, deepening the shallow clone step by
   * step (a rollback target is usually recent); false when the branch's whole history does not have it.
   */
  async function withParent(sha: string): Promise<boolean> {
    for (let depth = DEEPEN_FIRST; ; depth *= 8) {
      const shallow = await shallowCommits();
      try {
        const commit = await readCommit(sha);
        if (!shallow.has(sha) || commit.parent.length === 0) return true;
      } catch (error) {
        if (!notFetched(error)) throw error;
      }
      if (shallow.size === 0) return false;
      await fetchBranch({ depth, relative: true });
    }
  }

  /** Bytes under `dir`, files only. */
  async function sizeOf(dir: string): Promise<number> {
    let total = 0;
    for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) total += await sizeOf(path);
      else if (entry.isFile()) total += (await fs.promises.stat(path)).size;
    }
    return total;
  }

  /**
   * isomorphic-git has no gc: every fetch adds a pack and every release loose objects. Past the limit the
   * clone is dropped and the next fetch starts over from the tip, so /tmp use stays bounded.
   */
  async function startOverIfTooBig(): Promise<void> {
    if (!fs.existsSync(gitdir)) return;
    if ((await sizeOf(gitdir)) <= (options.maxCloneBytes ?? MAX_CLONE_BYTES)) return;
    await startOver();
  }

  async function startOver(): Promise<void> {
    await fs.promises.rm(gitdir, { recursive: true, force: true });
    objects.clear();
    initialised = false;
    cache = {};
    trees.clear();
    commits.clear();
  }

  const port: GitopsRepo = {
    url: options.url,

    async sync(syncOptions) {
      try {
        await persisting;
      } catch {
        // Saving a landed push's objects failed: this clone may lack what its refs name; fetch afresh.
        persisting = Promise.resolve();
        await startOver();
      }
      if (syncOptions?.reuse && pushedHead) return pushedHead;
      pushedHead = undefined;
      if (fetches++ % (options.sizeCheckEvery ?? SIZE_CHECK_EVERY) === 0) await startOverIfTooBig();
      await init();
      // Objects of an attempt that lost its push are garbage now; only new ones go into the next pack.
      objects.reset();
      // A fresh clone takes the branch tip only (its tree, not its history): cold start is O(tree).
      // Later fetches bring just the new commits; older ones are fetched when an operation needs them.
      const fresh = !(await resolve(remoteRef));
      try {
        await fetchBranch(fresh ? { depth: 1 } : {});
      } catch (error) {
        // An empty remote has no branch to fetch yet: the first commit will create it.
        if (!missing(error) || (await resolve(remoteRef))) throw error;
        return undefined;
      }
      const head = await resolve(remoteRef);
      // isomorphic-git tells the server what we have from the local branch: keep it at the remote head,
      // or every fetch downloads the whole repository again.
      if (head) await git.writeRef({ fs, gitdir, ref: localRef, value: head, force: true });
      return head;
    },

    async recentCommits(head, since) {
      if (!head) return [];
      const first = await walkSince(head, since);
      if (first.complete) return first.found;
      // The shallow clone ends inside the window: deepen by date (deepen-since) to the window's start.
      await fetchBranch({ since: new Date(since.getTime() - 1000) });
      const second = await walkSince(head, since, true);
      return second.found;
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
      const parents = parent ? [parent] : [];
      const oid = objects.write(
        'commit',
        encodeCommit({ tree: root, parents, author: { ...author, timestamp }, message }),
      );
      // Later reads of this commit (the next request of the batch builds on it) come from memory.
      remember(commits, oid, { tree: root, parent: parents, message, time: timestamp * 1000 });
      return oid;
    },

    async changedDir(sha, dir) {
      try {
        if (!(await withParent(sha))) return false;
      } catch (error) {
        // A sha of a tree or blob is not a commit of the branch; a failing fetch or read is not an answer.
        if (missing(error)) return false;
        throw error;
      }
      const commit = await readCommit(sha);
      const after = await dirAt(sha, dir);
      const before = await dirAt(commit.parent[0], dir);
      return after !== before;
    },

    async readFile(sha, path) {
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? undefined : await dirAt(sha, path.slice(0, slash));
      const entries = slash < 0 ? await treeOf((await readCommit(sha)).tree) : dir ? await treeOf(dir) : [];
      const entry = entries.find((e) => e.path === path.slice(slash + 1));
      return entry?.type === 'blob' ? readBlob(entry.oid) : undefined;
    },

    async readFolder(sha, dir) {
      const oid = await dirAt(sha, dir);
      if (!oid) return undefined;
      const files = new Map<string, string>();
      for (const entry of await treeOf(oid)) {
        if (entry.type !== 'blob') continue;
        files.set(entry.path, await readBlob(entry.oid));
      }
      return files;
    },

    async holdsFiles(sha, dir, files, ignore) {
      const oid = await dirAt(sha, dir);
      if (!oid) return false;
      const present = (await treeOf(oid)).filter((e) => !ignore.includes(e.path));
      if (present.length !== files.length) return false;
      const byName = new Map(present.map((e) => [e.path, e]));
      return files.every((f) => {
        const entry = byName.get(f.name);
        return entry?.type === 'blob' && entry.oid === blobOid(f.content);
      });
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
      if (!result.ok) {
        pushedHead = undefined;
        return { pushed: false, reason: result.reason };
      }
      pushedHead = head;
      // The objects go into the clone before the refs name them, so a crash in between leaves a clone
      // whose refs still point at what it has (the next fetch brings the rest). Reads meanwhile come from
      // memory; the caller records outcomes while this runs, and the next sync waits for it.
      persisting = (async () => {
        await objects.persist();
        await git.writeRef({ fs, gitdir, ref: remoteRef, value: head, force: true });
        await git.writeRef({ fs, gitdir, ref: localRef, value: head, force: true });
      })();
      persisting.catch(() => {
        // Handled by the next sync, which starts the clone over.
        pushedHead = undefined;
      });
      return { pushed: true };
    },
  };
  return translated(port, options.url);
}

/**
 * Every method's failure in Ferry's terms (lib/adapters/git/errors.ts), so callers decide by isRetryable and
 * never by isomorphic-git's codes.
 */
function translated(port: GitopsRepo, url: string): GitopsRepo {
  const guard =
    <A extends unknown[], R>(name: string, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (error) {
        throw gitError(error, `git ${name} (${url})`);
      }
    };
  return {
    url,
    sync: guard('sync', port.sync),
    recentCommits: guard('recentCommits', port.recentCommits),
    commit: guard('commit', port.commit),
    changedDir: guard('changedDir', port.changedDir),
    readFile: guard('readFile', port.readFile),
    readFolder: guard('readFolder', port.readFolder),
    holdsFiles: guard('holdsFiles', port.holdsFiles),
    listFolders: guard('listFolders', port.listFolders),
    push: guard('push', port.push),
  };
}

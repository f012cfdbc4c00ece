import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { TreeEntry } from 'isomorphic-git';
// The namespace, not the default export (an object of every command): the bundles keep only the
// commands named here (cdk/ferry-function.ts aliases the package to its ES module build).
import * as git from 'isomorphic-git';

export type ObjectType = 'blob' | 'tree' | 'commit';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

/** The object id git gives `content` as a blob. */
export function blobOid(content: string): string {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Objects of at most this many bytes in total are kept in memory between batches. */
const STORE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * New objects live in memory until a push lands: an attempt that loses its push race touches no disk, and
 * the next attempt finds the same blobs and trees already hashed (content-addressed, so reusable on any
 * parent). `pending` is the current attempt's set, which a push sends; `persist()` writes what landed
 * into the clone (loose objects), after the push, off the race window.
 */
export class ObjectWriter {
  private readonly store = new Map<string, GitObject>();
  private storeBytes = 0;
  /** Objects of the store that the clone has too. */
  private readonly onDisk = new Set<string>();
  readonly pending = new Map<string, GitObject>();
  constructor(private readonly gitdir: string) {}

  write(type: ObjectType, content: Buffer): string {
    const oid = createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
    if (this.pending.has(oid)) return oid;
    let object = this.store.get(oid);
    if (!object) {
      object = { type, content };
      if (this.storeBytes + content.length > STORE_LIMIT_BYTES) this.evict(content.length);
      this.store.set(oid, object);
      this.storeBytes += content.length;
    }
    this.pending.set(oid, object);
    return oid;
  }

  /** An object written here and still kept in memory (saved to the clone or not), or undefined. */
  get(oid: string): GitObject | undefined {
    return this.pending.get(oid) ?? this.store.get(oid);
  }

  /** Starts a new attempt: objects stay readable, but only what the attempt writes is pushed. */
  reset(): void {
    this.pending.clear();
  }

  /** Writes the attempt's objects into the clone (they are on the remote now) and starts over. */
  async persist(): Promise<void> {
    const landed = [...this.pending].filter(([oid]) => !this.onDisk.has(oid));
    this.pending.clear();
    await Promise.all(
      landed.map(([oid, { type, content }]) =>
        git.writeObject({
          fs,
          gitdir: this.gitdir,
          type,
          object: deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])),
          format: 'deflated',
          oid,
        }),
      ),
    );
    // They stay in memory for reads (the next batch reads the folders it just wrote), now marked as saved.
    for (const [oid] of landed) this.onDisk.add(oid);
  }

  /** Forgets everything (the clone started over). */
  clear(): void {
    this.pending.clear();
    this.store.clear();
    this.onDisk.clear();
    this.storeBytes = 0;
  }

  private evict(needed: number): void {
    for (const [oid, { content }] of this.store) {
      if (this.storeBytes + needed <= STORE_LIMIT_BYTES) return;
      if (this.pending.has(oid)) continue;
      // An unsaved object outside the current attempt belongs to an attempt that lost its push: garbage.
      this.store.delete(oid);
      this.onDisk.delete(oid);
      this.storeBytes -= content.length;
    }
  }
}

/** Git orders tree entries by name, comparing a subtree's name as if it ended in `/`. */
function sortKey(entry: TreeEntry): string {
  return entry.type === 'tree' ? `${entry.path}/` : entry.path;
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return Buffer.concat(
    sorted.flatMap((e) => [
      // Trees are stored with mode `40000`, without the leading zero isomorphic-git shows.
      Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.path}\0`),
      Buffer.from(e.oid, 'hex'),
    ]),
  );
}

/** The entries of a tree object's content (the inverse of `encodeTree`). */
export function decodeTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space);
    const mode = content.toString('utf8', at, space).padStart(6, '0');
    const oid = content.toString('hex', nul + 1, nul + 21);
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    entries.push({ mode, path: content.toString('utf8', space + 1, nul), oid, type });
    at = nul + 21;
  }
  return entries;
}

export interface CommitFields {
  tree: string;
  parents: readonly string[];
  author: { name: string; email: string; timestamp: number };
  message: string;
}

export function encodeCommit(c: CommitFields): Buffer {
  const who = `${c.author.name} <${c.author.email}> ${c.author.timestamp} +0000`;
  const lines = [
    `tree ${c.tree}`,
    ...c.parents.map((p) => `parent ${p}`),
    `author ${who}`,
    `committer ${who}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n\n${c.message}`);
}

const PACK_TYPE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

/** A version 2 packfile of whole (undeltified) objects, as `git-receive-pack` accepts. */
export function buildPack(objects: readonly GitObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'ascii');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const { type, content } of objects) {
    let size = content.length;
    const bytes = [(PACK_TYPE[type] << 4) | (size & 0x0f)];
    size >>= 4;
    while (size > 0) {
      bytes[bytes.length - 1] = (bytes.at(-1) as number) | 0x80;
      bytes.push(size & 0x7f);
      size >>= 7;
    }
    parts.push(Buffer.from(bytes), deflateSync(content));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

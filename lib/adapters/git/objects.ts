import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { deflateSync } from 'node:zlib';
import git, { type TreeEntry } from 'isomorphic-git';

export type ObjectType = 'blob' | 'tree' | 'commit';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

/**
 * Writes objects through isomorphic-git's `writeObject`, hashed and deflated with Node's native sha1 and
 * zlib first (isomorphic-git's own path goes through web streams and costs ~5 ms per small object). Every
 * object written since the last `reset()` is remembered, so a push can send exactly those.
 */
export class ObjectWriter {
  readonly pending = new Map<string, GitObject>();
  constructor(private readonly gitdir: string) {}

  async write(type: ObjectType, content: Buffer): Promise<string> {
    const wrapped = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
    const oid = createHash('sha1').update(wrapped).digest('hex');
    if (!this.pending.has(oid)) {
      await git.writeObject({
        fs,
        gitdir: this.gitdir,
        type,
        object: deflateSync(wrapped),
        format: 'deflated',
        oid,
      });
      this.pending.set(oid, { type, content });
    }
    return oid;
  }

  reset(): void {
    this.pending.clear();
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

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Temporary folders written from a `path → content` map (gitops trees for the Flux oracle); `cleanup`
 * removes every one made so far (call it from afterEach).
 */
export function treeMaker(prefix: string): { tree(files: Record<string, string>): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    tree(files) {
      const root = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(root);
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      return root;
    },
    cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

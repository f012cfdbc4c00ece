import { appFluxFile, helmReleasesIn } from '../domain/flux-apps.ts';
import { appFluxPath, FLUX_DIR, parseSettings, settingsPath } from '../domain/flux-layout.ts';
import type { ReleaseRequest } from '../domain/release.ts';
import type { FileEdit, FolderChange, GitopsRepo } from './ports.ts';

/**
 * The Flux side of a change, in the same commit (lib/domain/flux-apps.ts has the layout): a deploy or
 * rollback writes `<env>/flux/apps/<app>.yaml` beside `<env>/<app>/`, a delete removes both, and
 * `env init` rewrites every app's file with the settings it records (a new source or Provider). `repo` is
 * the environment's view (lib/app/gitops-folder.ts); `folder`, where it lives, goes into the Flux paths.
 */
export async function withFluxEdits(
  repo: GitopsRepo,
  folder: string,
  parent: string | undefined,
  request: ReleaseRequest,
  change: FolderChange,
): Promise<FolderChange> {
  const { env, app } = request;
  const edits: FileEdit[] = [];
  if (change.kind === 'merge') {
    const written = new Map(change.files.map((f) => [f.name, f.content]));
    const settings = parseSettings(written.get('ferry.json'));
    // Named an existing GitRepository (flux bootstrap): a sync.yaml from an earlier init would apply
    // `<env>/flux` a second time.
    if (
      !written.has('sync.yaml') &&
      parent &&
      (await repo.readFile(parent, `${env}/${FLUX_DIR}/sync.yaml`))
    ) {
      edits.push({ path: `${env}/${FLUX_DIR}/sync.yaml`, content: undefined });
    }
    for (const name of parent ? await repo.listFolders(parent, env) : []) {
      if (name === FLUX_DIR) continue;
      const appFolder = await repo.readFolder(parent as string, `${env}/${name}`);
      // Only Ferry's app folders (flux bootstrap's `flux-system/` has no release.json).
      if (!appFolder?.has('release.json')) continue;
      edits.push({
        path: appFluxPath(env, name),
        content: appFluxFile(env, name, settings, helmReleasesIn(files(appFolder)), folder),
      });
    }
    return { ...change, edits: [...(change.edits ?? []), ...edits] };
  }
  const path = appFluxPath(env, app);
  if (change.kind === 'remove') {
    edits.push({ path, content: undefined });
  } else {
    const settings = parseSettings(parent ? await repo.readFile(parent, settingsPath(env)) : undefined);
    const rendered =
      change.kind === 'replace'
        ? change.files
        : files((await repo.readFolder(change.from, change.dir)) ?? new Map());
    edits.push({ path, content: appFluxFile(env, app, settings, helmReleasesIn(rendered), folder) });
  }
  return { ...change, edits: [...(change.edits ?? []), ...edits] };
}

/** Whether every edit of `change` is already in place at `head` (then only the folder decides). */
export async function editsInPlace(
  repo: GitopsRepo,
  head: string | undefined,
  change: FolderChange,
): Promise<boolean> {
  for (const edit of change.edits ?? []) {
    const current = head ? await repo.readFile(head, edit.path) : undefined;
    if (current !== edit.content) return false;
  }
  return true;
}

function files(folder: Map<string, string>): { name: string; content: string }[] {
  return [...folder].map(([name, content]) => ({ name, content }));
}

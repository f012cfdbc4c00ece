import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isPlainObject, type JsonObject, typeName } from '../../domain/validate.ts';
import { UsageError } from '../errors.ts';

/** What `.gimlet/` in the application repository adds to an artifact. */
export interface GimletFolder {
  /** One manifest per file, in `files` order. */
  environments: JsonObject[];
  /** The manifest file names, sorted, so the server's `environments[i]` can be traced to a file. */
  files: string[];
  vars: Record<string, string>;
}

const MANIFEST_FILE = /\.ya?ml$/;

export async function readGimletFolder(dir: string): Promise<GimletFolder> {
  const folder = join(dir, '.gimlet');
  const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new UsageError(`cannot read .gimlet: ${error.message}`);
  });
  const files: string[] = [];
  // stat, not the dirent type: a symlinked manifest counts as a regular file, as `[ -f ]` did for Gimlet.
  for (const name of names.filter((n) => MANIFEST_FILE.test(n)).sort()) {
    const info = await stat(join(folder, name)).catch(() => undefined); // a dangling link is no file
    if (info?.isFile()) files.push(name);
  }
  const environments = await Promise.all(
    files.map(async (name) =>
      parseManifestFile(`.gimlet/${name}`, await readFile(join(folder, name), 'utf8')),
    ),
  );
  const varsText = await readFile(join(folder, 'vars'), 'utf8').catch(() => undefined);
  return { environments, files, vars: varsText === undefined ? {} : parseDotenv(varsText, '.gimlet/vars') };
}

/**
 * One YAML document holding one manifest. The server validates the fields; here only "is this a
 * mapping at all", so a broken file fails in CI naming the file rather than as `environments[3]`.
 */
export function parseManifestFile(file: string, text: string): JsonObject {
  let value: unknown;
  try {
    // merge: Go's YAML decoder, which read these files for Gimlet, honours `<<:` merge keys.
    value = parse(text, { merge: true });
  } catch (error) {
    throw new UsageError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(value)) {
    throw new UsageError(`${file} must hold one manifest (a YAML mapping), got ${typeName(value)}`);
  }
  return value;
}

/**
 * `.gimlet/vars` in dotenv form: `KEY=value` lines, `#` comment lines, an optional `export ` and
 * optional matching quotes around the value. Everything after the first `=` is the value (a `#` in it
 * stays, URLs have them).
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new UsageError(`${file}:${i + 1}: expected KEY=value`);
    const [, key = '', value = ''] = match;
    vars[key] = /^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value;
  });
  return vars;
}

/** Kubernetes DNS-1123 label: what env and app names become (gitops paths, namespaces, releases). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TEMPLATE = /\{\{.*?\}\}/gs;

export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

/**
 * Names Flux itself uses next to the apps of an environment: `flux bootstrap` writes `<path>/flux-system/`
 * (its own controllers, which `prune: true` could garbage-collect), and Ferry's `ferry env init` writes
 * `<env>/flux/`. No app, preview or rendered app name may take them.
 */
export const RESERVED_APP_NAMES: readonly string[] = ['flux', 'flux-system'];

export function isReservedAppName(value: string): boolean {
  return RESERVED_APP_NAMES.includes(value);
}

export function hasTemplate(value: string): boolean {
  return value.includes('{{');
}

/**
 * A templated name (`preview-{{ .BRANCH | sanitizeDNSName }}`) can only be checked fully once rendered,
 * but its literal parts must already be label characters, so `../{{ .X }}` or `App-{{ .X }}` fail now.
 */
export function isDnsLabelTemplate(value: string): boolean {
  if (!hasTemplate(value)) return isDnsLabel(value);
  const literal = value.replace(TEMPLATE, '');
  return !literal.includes('{{') && !literal.includes('}}') && /^[a-z0-9-]*$/.test(literal);
}

/** `owner/repo`, or GitLab's `group/subgroup/repo`: segments of safe characters, never `.` or `..`. */
const REPO_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
export function isRepositoryName(value: string): boolean {
  const segments = value.split('/');
  return (
    value.length <= 200 &&
    segments.length >= 2 &&
    segments.every((s) => REPO_SEGMENT.test(s) && s !== '.' && s !== '..')
  );
}

const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export function isLogin(value: string): boolean {
  return LOGIN.test(value);
}

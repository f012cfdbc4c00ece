/** Git words an artifact's version and a manifest's policies use; no YAML, so the API bundles keep it. */
export const GIT_EVENTS = ['push', 'tag', 'pr'] as const;
export type GitEvent = (typeof GIT_EVENTS)[number];

const SHA = /^[0-9a-f]{7,64}$/;

export function isSha(value: string): boolean {
  return SHA.test(value);
}

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * A stream record's image (NewImage, OldImage or Keys) as plain values, or undefined when the record has
 * none or cannot be read. Stream records of items holding an empty map (a Flux event without `metadata`)
 * reach us with that attribute as `{}` (no type member), which `unmarshall` refuses ("No value defined"):
 * it is read back as the empty map it was written as. A record that still cannot be read is the same on
 * every retry, so the caller skips it (and says so) rather than retrying it.
 */
export function streamImage(image: unknown): Record<string, unknown> | undefined {
  if (!image || typeof image !== 'object') return undefined;
  try {
    return unmarshall(repaired(image) as Record<string, AttributeValue>);
  } catch {
    return undefined;
  }
}

function repaired(image: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, repairValue(value)]));
}

function repairValue(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const members = Object.keys(value);
  if (members.length === 0) return { M: {} };
  const v = value as { M?: unknown; L?: unknown };
  if (v.M && typeof v.M === 'object') return { M: repaired(v.M) };
  if (Array.isArray(v.L)) return { L: v.L.map(repairValue) };
  return value;
}

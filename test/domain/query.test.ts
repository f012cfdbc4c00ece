import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/domain/errors.ts';
import { parseArtifactQuery } from '../../lib/domain/query.ts';

describe('parseArtifactQuery', () => {
  it('defaults to the newest 10 with no filters', () => {
    expect(parseArtifactQuery({})).toEqual({ limit: 10, offset: 0 });
  });

  it('reads limit=0 as the default, as the gimlet CLI sends 0 for unset', () => {
    expect(parseArtifactQuery({ limit: ['0'] }).limit).toBe(10);
  });

  it('keeps repeated shas, lower-cased and de-duplicated', () => {
    expect(parseArtifactQuery({ sha: ['ABCDEF1', 'abcdef1', '1234567'] }).shas).toEqual([
      'abcdef1',
      '1234567',
    ]);
  });

  it('reads since and until as epoch milliseconds', () => {
    const q = parseArtifactQuery({ since: ['2026-01-01T00:00:00Z'], until: ['2026-01-01T02:00:00+01:00'] });
    expect(q.since).toBe(Date.UTC(2026, 0, 1));
    expect(q.until).toBe(Date.UTC(2026, 0, 1, 1));
  });

  it('treats empty values as unset', () => {
    expect(parseArtifactQuery({ repository: [''], branch: [''] })).toEqual({ limit: 10, offset: 0 });
  });

  it.each([
    [{ repo: ['acme/api'] }, 'repo: unknown query parameter'],
    [{ event: ['merge'] }, 'event: must be one of push, tag, pr'],
    [{ limit: ['-1'] }, 'limit: must be an integer from 0 to 100'],
    [{ limit: ['101'] }, 'limit: must be an integer from 0 to 100'],
    [{ offset: ['ten'] }, 'offset: must be an integer from 0 to 10000'],
    [{ since: ['yesterday'] }, 'since: must be an RFC 3339 time'],
    [{ since: ['2026-01-02T00:00:00Z'], until: ['2026-01-01T00:00:00Z'] }, 'until: must be after since'],
    [{ sha: ['zzz'] }, 'sha: "zzz" is not a git commit sha'],
    [{ branch: ['a', 'b'] }, 'branch: may be given once'],
  ])('rejects %j', (params, message) => {
    expect(() => parseArtifactQuery(params)).toThrow(ValidationError);
    expect(() => parseArtifactQuery(params)).toThrow(message);
  });
});

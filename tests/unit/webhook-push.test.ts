import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { normalizeRepo, pushLaunches } from '../../src/commands/webhook-push.js';

// Which fleets a push launches: the repository matched by any of its URLs, the
// tracked branch, the tag pattern; the rest launches nothing.

describe('normalizeRepo', () => {
  it('reads the clone, SSH and web URLs of one repository alike', () => {
    for (const url of [
      'https://github.com/Acme/Shop.git',
      'https://github.com/acme/shop',
      'git@github.com:acme/shop.git',
      'ssh://git@github.com/acme/shop.git',
      'https://github.com/acme/shop/',
    ])
      expect(normalizeRepo(url), url).toBe('github.com/acme/shop');
    expect(normalizeRepo('file:///srv/git/shop.git')).toBe('file/srv/git/shop');
    expect(normalizeRepo('https://github.com/acme/shopping')).not.toBe('github.com/acme/shop');
  });
});

describe('pushLaunches', () => {
  const config = buildConfig(
    {
      clusters: { laptop: { local: true } },
      fleets: {
        shop: {
          cluster: 'laptop',
          git: { repo: 'git@github.com:acme/shop.git' },
          auto_launch: true,
          auto_launch_tags: 'v*',
        },
        staging: {
          cluster: 'laptop',
          git: { repo: 'https://github.com/acme/shop.git', ref: 'develop' },
          auto_launch: true,
        },
        quiet: { cluster: 'laptop', git: { repo: 'https://github.com/acme/shop.git' } },
      },
    },
    '/tmp',
    undefined,
  );
  const sha = 'a'.repeat(40);
  const push = (ref: string, extra = {}) => ({
    via: 'github',
    repoUrls: ['https://github.com/acme/shop.git'],
    ref,
    sha,
    defaultBranch: 'main',
    ...extra,
  });
  const names = (r: ReturnType<typeof pushLaunches>) =>
    r.launches.map((l) => `${l.fleet.name}@${l.ref}`);

  it('launches the pushed commit of fleets tracking the branch, and tags by pattern', () => {
    expect(names(pushLaunches(config, push('refs/heads/main')))).toEqual([`shop@${sha}`]);
    expect(names(pushLaunches(config, push('refs/heads/develop')))).toEqual([`staging@${sha}`]);
    expect(names(pushLaunches(config, push('refs/tags/v1.4.2')))).toEqual(['shop@v1.4.2']);
  });

  it('launches nothing for an untracked branch, an unmatched tag, a deleted ref', () => {
    expect(pushLaunches(config, push('refs/heads/feature'))).toEqual({ known: true, launches: [] });
    expect(pushLaunches(config, push('refs/tags/release-1')).launches).toEqual([]);
    expect(pushLaunches(config, push('refs/heads/main', { sha: '0'.repeat(40) })).launches).toEqual(
      [],
    );
    expect(
      pushLaunches(config, push('refs/heads/main', { repoUrls: ['https://github.com/acme/x'] })),
    ).toEqual({ known: false, launches: [] });
  });

  it('refuses auto_launch on a fleet read from a file', () => {
    expect(() =>
      buildConfig(
        {
          clusters: { laptop: { local: true } },
          fleets: { f: { cluster: 'laptop', compose_file: 'x.yml', auto_launch: true } },
        },
        '/tmp',
        undefined,
      ),
    ).toThrow(/launches on push need a git fleet/);
  });
});

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ComposeError, MissingSecretsError } from '../../src/errors.js';
import {
  imageRegistry,
  isRegistryHost,
  parseCompose,
  renderCompose,
} from '../../src/swarm/compose.js';
import { billionLaughs } from '../support/billion-laughs.js';

const web = `
services:
  web:
    image: ghcr.io/acme/web:1.2
    environment:
      API_KEY: \${API_KEY}
      MODE: \${MODE:-calm}
      PRICE: "$$5"
    deploy:
      replicas: 2
      labels:
        - team=otters
    x-otternauts:
      domains: [shop.example.com, www.shop.example.com]
      port: 3000
  db:
    image: postgres:16
    networks: [backend]
networks:
  backend: {}
`;

describe('parseCompose', () => {
  it('names the line and column of a YAML error', () => {
    expect(() => parseCompose('services:\n  web:\n    image: [oops\n', 'stacks/x.yml')).toThrow(
      /stacks\/x.yml is not valid YAML at line \d+, column \d+/,
    );
  });

  it('refuses a billion-laughs alias bomb with a ComposeError, not a stack trace', () => {
    const bomb = `services:\n  web:\n    image: nginx\n${billionLaughs()}`;
    let error: unknown;
    try {
      parseCompose(bomb, 'stacks/lol.yml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ComposeError);
    expect((error as ComposeError).message).toBe(
      'Configuration error: stacks/lol.yml expands its YAML aliases (*name) into more than 400,000 values, as a "billion laughs" file does to exhaust memory. Otto did not expand it.',
    );
    expect((error as ComposeError).fix).toContain('Write the repeated parts out');
  });

  it('still reads a file that reuses anchors, and names an alias without its anchor', () => {
    const reuse =
      'x-svc: &svc\n  image: nginx\n  deploy: {replicas: 2}\nservices:\n  a: *svc\n  b: *svc\n  c: *svc\n';
    expect([...parseCompose(reuse, 'x.yml').services.keys()]).toEqual(['a', 'b', 'c']);
    expect(() => parseCompose('services:\n  web: *nope\n', 'x.yml')).toThrow(
      /x.yml has a YAML alias Otto can't resolve: .*nope/,
    );
  });

  it('wants an image for every service', () => {
    expect(() => parseCompose('services:\n  web:\n    command: sh\n', 'x.yml')).toThrow(
      /services.web.image: every service needs an image/,
    );
  });

  it('validates x-otternauts', () => {
    expect(() =>
      parseCompose(
        'services:\n  web:\n    image: a\n    x-otternauts:\n      domains: [a.com]\n',
        'x.yml',
      ),
    ).toThrow(/port is needed with domains/);
    expect(() =>
      parseCompose(
        'services:\n  web:\n    image: a\n    x-otternauts:\n      domains: ["a.com`) || Host(`evil"]\n      port: 1\n',
        'x.yml',
      ),
    ).toThrow(ComposeError);
    expect(() =>
      parseCompose(
        'services:\n  web:\n    image: a\n    x-otternauts:\n      colour: red\n',
        'x.yml',
      ),
    ).toThrow(/colour/);
  });

  it('lists the secrets a file needs, not those with defaults', () => {
    const p = parseCompose(web, 'web.yml');
    expect([...p.required]).toEqual(['API_KEY']);
  });

  it('refuses interpolation forms it does not understand', () => {
    expect(() =>
      parseCompose(
        'services:\n  web:\n    image: a\n    environment:\n      X: ${Y/a/b}\n',
        'x.yml',
      ),
    ).toThrow(
      /services.web.environment.X has a "\$" Otto can't read: \$\{Y\/…\} is not an operator/,
    );
  });
});

describe('renderCompose', () => {
  const rendered = () =>
    parse(
      renderCompose(parseCompose(web, 'web.yml'), 'shop', new Map([['API_KEY', 'k$y "1"']])).text,
    );

  it('adds the Traefik labels of seed 001 and keeps the user labels', () => {
    const labels = rendered().services.web.deploy.labels;
    expect(labels).toEqual({
      'traefik.enable': 'true',
      'traefik.http.routers.shop-web.rule':
        'Host(`shop.example.com`) || Host(`www.shop.example.com`)',
      'traefik.http.routers.shop-web.entrypoints': 'websecure',
      'traefik.http.routers.shop-web.tls.certresolver': 'letsencrypt',
      'traefik.http.services.shop-web.loadbalancer.server.port': '3000',
      team: 'otters',
    });
  });

  it('joins routed services to the external traefik-public network, and only them', () => {
    const out = rendered();
    expect(out.services.web.networks).toEqual(['default', 'traefik-public']);
    expect(out.services.db.networks).toEqual(['backend']);
    expect(out.networks).toEqual({ backend: {}, 'traefik-public': { external: true } });
  });

  it('removes x-otternauts from what Docker sees', () => {
    expect(JSON.stringify(rendered())).not.toContain('x-otternauts');
  });

  it('fills secrets and defaults, doubling every $ so the remote CLI does not interpolate again', () => {
    const env = rendered().services.web.environment;
    expect(env).toEqual({ API_KEY: 'k$$y "1"', MODE: 'calm', PRICE: '$$5' });
  });

  it('lists every missing secret by name and renders nothing', () => {
    const p = parseCompose(
      'services:\n  a:\n    image: x\n    environment:\n      - B=${B}\n      - A=${A}\n      - C=$C\n',
      'x.yml',
    );
    try {
      renderCompose(p, 'f', new Map());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingSecretsError);
      expect((e as MissingSecretsError).names).toEqual(['A', 'B', 'C']);
    }
  });

  it('handles a map of service networks', () => {
    const p = parseCompose(
      'services:\n  a:\n    image: x\n    networks:\n      back: {}\n    x-otternauts: {domains: [a.io], port: 80}\n',
      'x.yml',
    );
    expect(parse(renderCompose(p, 'f', new Map()).text).services.a.networks).toEqual({
      'traefik-public': {},
      back: {},
    });
  });
});

describe('imageRegistry', () => {
  it('finds the registry host of an image', () => {
    expect(imageRegistry('nginx')).toBe('docker.io');
    expect(imageRegistry('library/nginx:1')).toBe('docker.io');
    expect(imageRegistry('ghcr.io/acme/web:1')).toBe('ghcr.io');
    expect(imageRegistry('localhost:5000/web')).toBe('localhost:5000');
  });
});

describe('isRegistryHost', () => {
  it('takes host[:port] and nothing that docker login could read as an option', () => {
    for (const ok of [
      'ghcr.io',
      'localhost:5000',
      '127.0.0.1:5000',
      'registry.example.com',
      'a-b.io:443',
    ])
      expect(isRegistryHost(ok), ok).toBe(true);
    for (const bad of [
      '--help',
      '-x.io',
      'ghcr.io/acme',
      'a..io',
      'host:0',
      'host:70000',
      'ghcr.io:',
      '',
      'x -y',
      'a-.io',
    ])
      expect(isRegistryHost(bad), bad).toBe(false);
  });
});

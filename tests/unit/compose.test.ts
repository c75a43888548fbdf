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

describe('Compose fidelity: the cases that went wrong', () => {
  const render = (text: string, secrets: Record<string, string> = {}, fleet = 'f') =>
    renderCompose(parseCompose(text, 'x.yml'), fleet, new Map(Object.entries(secrets)));
  const rendered = (text: string, secrets: Record<string, string> = {}) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a compose tree, read by the assertions
    parse(render(text, secrets).text) as { services: Record<string, any>; [k: string]: any };

  it('1. re-types the fields Docker re-types after interpolation', () => {
    const out = rendered(
      [
        'services:',
        '  web:',
        '    image: nginx',
        '    read_only: ${RO:-yes}',
        '    deploy: {replicas: "${N:-2}"}',
        '    ports: [{published: "${PORT}", target: 80}]',
        '    healthcheck: {retries: "${R:-3}", disable: "${OFF:-off}"}',
        '    secrets: [{source: s, mode: "${MODE:-0440}"}]',
        'secrets:',
        '  s: {external: "${EXT:-true}"}',
        '',
      ].join('\n'),
      { PORT: '8080' },
    );
    expect(out.services.web).toMatchObject({
      read_only: true,
      deploy: { replicas: 2 },
      ports: [{ published: 8080, target: 80 }],
      healthcheck: { retries: 3, disable: false },
      // Go's Atoi reads "0440" as decimal, as Docker does.
      secrets: [{ source: 's', mode: 440 }],
    });
    expect(out['secrets']).toEqual({ s: { external: true } });
    // Only what interpolation changed is cast, as in Docker: a quoted literal stays a string.
    expect(rendered('services:\n  web:\n    image: a\n    tty: "yes"\n').services.web!.tty).toBe(
      'yes',
    );
  });

  it('1. refuses a typed field that is no number after interpolation, before anything runs', () => {
    expect(() =>
      render('services:\n  web:\n    image: a\n    deploy: {replicas: "${N}"}\n', { N: 'two' }),
    ).toThrow(
      'Configuration error: services.web.deploy.replicas is "${N}", which is "two" once filled in, and Docker needs a whole number there.',
    );
  });

  it('2. understands the whole interpolation syntax, and refuses :? with the file’s message', () => {
    const out = rendered(
      [
        'services:',
        '  web:',
        '    image: ${REGISTRY?Variable not set}/web:${TAG-latest}',
        '    environment:',
        '      A: $HOST',
        '      B: ${UNSET:-${FALLBACK:-x}}',
        '      C: ${HOST:+set}',
        '      D: ${UNSET+set}',
        '      E: $$literal',
        '',
      ].join('\n'),
      { REGISTRY: 'ghcr.io/acme', HOST: 'h' },
    );
    expect(out.services.web!.image).toBe('ghcr.io/acme/web:latest');
    expect(out.services.web!.environment).toEqual({
      A: 'h',
      B: 'x',
      C: 'set',
      D: '',
      E: '$$literal',
    });
    expect(() =>
      render('services:\n  web:\n    image: ${DOMAIN:?Variable not set}\n', {}, 'shop'),
    ).toThrow('Configuration error: the compose file of shop needs DOMAIN: Variable not set.');
  });

  it('3. reads YAML as Docker does: octal modes, numbers with _ and 0b, merge keys', () => {
    const out = rendered(
      [
        'x-base: &base',
        '  image: nginx:1',
        '  deploy: {replicas: 2}',
        'services:',
        '  web:',
        '    <<: *base',
        '    secrets: [{source: s, mode: 0440}]',
        '    environment: {UMASK: 022, BIG: 1_000, BIN: 0b101, ON: on}',
        'secrets: {s: {external: true}}',
        '',
      ].join('\n'),
    );
    expect(out.services.web).toMatchObject({
      image: 'nginx:1',
      deploy: { replicas: 2 },
      secrets: [{ source: 's', mode: 288 }],
      environment: { UMASK: 18, BIG: 1000, BIN: 5, ON: 'on' },
    });
  });

  it('4. adds Traefik labels to the service that asked, never through a shared deploy: anchor', () => {
    const out = rendered(
      [
        'x-deploy: &deploy',
        '  replicas: 1',
        '  labels: {team: otters}',
        'services:',
        '  web:',
        '    image: a',
        '    deploy: *deploy',
        '    x-otternauts: {domains: [a.example.com], port: 80}',
        '  worker:',
        '    image: b',
        '    deploy: *deploy',
        '',
      ].join('\n'),
    );
    expect(Object.keys(out.services.web!.deploy.labels)).toContain('traefik.enable');
    expect(out.services.worker!.deploy.labels).toEqual({ team: 'otters' });
    expect(out['x-deploy'].labels).toEqual({ team: 'otters' });
  });

  it('5. interpolates list-form labels with variables in their keys on routed services', () => {
    const out = rendered(
      [
        'services:',
        '  web:',
        '    image: a',
        '    deploy:',
        '      labels:',
        '        - traefik.http.routers.${NAME}.middlewares=auth',
        '        - plain',
        '    x-otternauts: {domains: [a.example.com], port: 80}',
        '',
      ].join('\n'),
      { NAME: 'shop' },
    );
    expect(out.services.web!.deploy.labels).toMatchObject({
      'traefik.http.routers.shop.middlewares': 'auth',
      plain: '',
      'traefik.enable': 'true',
    });
  });

  it('6. knows the registry only after interpolation', () => {
    const r = render('services:\n  web:\n    image: ${REGISTRY}/app:1\n', {
      REGISTRY: 'registry.example.com:5000',
    });
    expect([...r.images.values()].map(imageRegistry)).toEqual(['registry.example.com:5000']);
  });

  it('7. renders 50 services that share a nested anchor', () => {
    const text = [
      'x-log: &log {driver: json-file, options: {max-size: 10m}}',
      'x-svc: &svc',
      '  image: nginx',
      '  logging: *log',
      '  deploy: {replicas: 1, resources: {limits: {memory: 64M}}}',
      'services:',
      ...Array.from({ length: 50 }, (_, i) => `  s${i}: {<<: *svc, environment: {N: "${i}"}}`),
      '',
    ].join('\n');
    const out = rendered(text);
    expect(Object.keys(out.services)).toHaveLength(50);
    expect(out.services.s49).toMatchObject({ image: 'nginx', logging: { driver: 'json-file' } });
  });

  it('pins images for an exact return, whatever the file says', () => {
    const r = render('services:\n  web:\n    image: app:${TAG}\n', { TAG: '2' });
    expect(r.images.get('web')).toBe('app:2');
    const pinned = renderCompose(
      parseCompose('services:\n  web:\n    image: app:${TAG}\n', 'x.yml'),
      'f',
      new Map([['TAG', '2']]),
      {
        pins: new Map([
          ['web', 'app:1@sha256:' + 'a'.repeat(64)],
          ['gone', 'x'],
        ]),
      },
    );
    expect(pinned.images.get('web')).toBe(`app:1@sha256:${'a'.repeat(64)}`);
    expect(parse(pinned.text).services.web.image).toBe(`app:1@sha256:${'a'.repeat(64)}`);
  });

  it('fills environment names without a value from the secrets, never from the manager’s session', () => {
    const text =
      'services:\n  web:\n    image: a\n    environment: [PATH, TOKEN, A=1]\n  db:\n    image: b\n    environment: {HOME: , B: 2}\n';
    expect([...parseCompose(text, 'x.yml').required].sort()).toEqual(['HOME', 'PATH', 'TOKEN']);
    try {
      render(text, { TOKEN: 't' });
      expect.unreachable();
    } catch (e) {
      expect((e as MissingSecretsError).names).toEqual(['HOME', 'PATH']);
    }
    const out = rendered(text, { TOKEN: 't', PATH: '/p', HOME: '' });
    expect(out.services.web!.environment).toEqual(['PATH=/p', 'TOKEN=t', 'A=1']);
    expect(out.services.db!.environment).toEqual({ HOME: '', B: 2 });
  });

  it('fills variables in x-otternauts, then checks the domains and port', () => {
    const text =
      'services:\n  web:\n    image: a\n    x-otternauts: {domains: ["${DOMAIN}", "www.${DOMAIN}"], port: "${PORT:-8080}"}\n';
    const out = rendered(text, { DOMAIN: 'shop.example.com' });
    expect(out.services.web!.deploy.labels).toMatchObject({
      'traefik.http.routers.f-web.rule': 'Host(`shop.example.com`) || Host(`www.shop.example.com`)',
      'traefik.http.services.f-web.loadbalancer.server.port': '8080',
    });
    expect(() => render(text, { DOMAIN: 'a.com`) || Host(`evil' })).toThrow(
      /once its variables are filled in: services.web.x-otternauts.domains.0: must be a plain domain name/,
    );
    expect(() => render(text, { DOMAIN: 'a.com', PORT: 'http' })).toThrow(
      /services.web.x-otternauts.port/,
    );
  });

  it('refuses files the docker CLI would read from the manager’s disk, naming the fix', () => {
    expect(() =>
      parseCompose('services:\n  web:\n    image: a\n    env_file: ./web.env\n', 'x.yml'),
    ).toThrow(/x.yml has services.web.env_file, a file of variables. Otto sends the compose file/);
    try {
      parseCompose(
        'services:\n  web:\n    image: a\n    configs: [c]\nconfigs:\n  c:\n    file: ./prometheus.yml\n',
        'x.yml',
      );
      expect.unreachable();
    } catch (e) {
      expect((e as ComposeError).message).toContain('configs.c.file, a config read from a file');
      expect((e as ComposeError).fix).toContain('external: true');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { buildConfig, DEFAULT_INGRESS_IMAGE, type IngressConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { stackDeploy } from '../../src/swarm/argv.js';
import { parseCompose, renderCompose, traefikLabels } from '../../src/swarm/compose.js';
import {
  ACME_RESOLVER,
  HTTPS_ENTRYPOINT,
  INGRESS_STACK,
  ingressOffNotice,
  renderIngressStack,
  traefikArgs,
} from '../../src/swarm/ingress.js';

const ingress: IngressConfig = {
  enabled: true,
  acmeEmail: 'ops@example.com',
  image: DEFAULT_INGRESS_IMAGE,
  extraArgs: [],
};

const OTTO_ARGS = [
  '--providers.swarm.endpoint=unix:///var/run/docker.sock',
  '--providers.swarm.exposedByDefault=false',
  '--providers.swarm.network=traefik-public',
  '--entryPoints.web.address=:80',
  '--entryPoints.web.http.redirections.entryPoint.to=websecure',
  '--entryPoints.web.http.redirections.entryPoint.scheme=https',
  '--entryPoints.websecure.address=:443',
  '--certificatesresolvers.letsencrypt.acme.email=ops@example.com',
  '--certificatesresolvers.letsencrypt.acme.storage=/acme/acme.json',
  '--certificatesresolvers.letsencrypt.acme.httpchallenge.entrypoint=web',
];

describe('the ingress stack', () => {
  it('renders Traefik v3 with the Swarm provider, exactly', () => {
    const stack = renderIngressStack('prod', ingress);
    expect(stack.stack).toBe('otto-ingress');
    expect(stack.args).toEqual(OTTO_ARGS);
    expect(stack.text).toBe(`services:
  traefik:
    image: traefik:v3.7.9
    command:
${OTTO_ARGS.map((a) => `      - "${a}"\n`).join('')}    ports:
      - target: 80
        published: 80
        protocol: tcp
        mode: ingress
      - target: 443
        published: 443
        protocol: tcp
        mode: ingress
    volumes:
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
        read_only: true
      - type: volume
        source: traefik-acme
        target: /acme
    networks:
      - traefik-public
    deploy:
      mode: replicated
      replicas: 1
      placement:
        constraints:
          - node.role == manager
networks:
  traefik-public:
    external: true
volumes:
  traefik-acme: {}
`);
  });

  it('never uses the v2 flag that stops v3 from starting', () => {
    const { text } = renderIngressStack('prod', ingress);
    expect(text).not.toMatch(/swarmmode/i);
    expect(text).not.toContain('providers.docker');
  });

  it('names the entry point and resolver that Otto’s Traefik labels use', () => {
    const labels = traefikLabels('myapp', 'web', { domains: ['app.example.com'], port: 3000 });
    expect(labels['traefik.http.routers.myapp-web.entrypoints']).toBe(HTTPS_ENTRYPOINT);
    expect(labels['traefik.http.routers.myapp-web.tls.certresolver']).toBe(ACME_RESOLVER);
    expect(traefikArgs({ ...ingress, acmeEmail: 'ops@example.com' })).toContain(
      `--entryPoints.${HTTPS_ENTRYPOINT}.address=:443`,
    );
  });

  it('appends extra arguments in order, the image as configured', () => {
    const stack = renderIngressStack('prod', {
      ...ingress,
      image: 'registry.example.com/mirror/traefik:v3.7.9',
      extraArgs: ['--log.level=INFO', '--accesslog=true'],
    });
    expect(stack.args).toEqual([...OTTO_ARGS, '--log.level=INFO', '--accesslog=true']);
    const svc = (stack.data['services'] as Record<string, Record<string, unknown>>)['traefik'];
    expect(svc?.['image']).toBe('registry.example.com/mirror/traefik:v3.7.9');
  });

  it('doubles $ so the remote docker CLI does not interpolate an argument', () => {
    const stack = renderIngressStack('prod', {
      ...ingress,
      extraArgs: ['--entryPoints.web.forwardedHeaders.trustedIPs=${NOT_A_VAR}'],
    });
    expect(stack.args.at(-1)).toBe('--entryPoints.web.forwardedHeaders.trustedIPs=${NOT_A_VAR}');
    expect(stack.text).toContain('"--entryPoints.web.forwardedHeaders.trustedIPs=$${NOT_A_VAR}"');
  });

  it('reads back through Otto’s own compose parser and render without a change', () => {
    const stack = renderIngressStack('prod', {
      ...ingress,
      extraArgs: ['--log.level=INFO', '--x=$a'],
    });
    const parsed = parseCompose(stack.text, 'otto-ingress');
    expect([...parsed.required]).toEqual([]);
    expect(parsed.services.get('traefik')).toEqual({ image: DEFAULT_INGRESS_IMAGE });
    expect(renderCompose(parsed, INGRESS_STACK, new Map()).text).toBe(stack.text);
  });

  it('is deployed like a fleet, from stdin', () => {
    expect(stackDeploy(INGRESS_STACK).slice(-3)).toEqual(['-', '--', 'otto-ingress']);
  });

  it('refuses without an e-mail or when turned off, naming the key', () => {
    const refusal = (c: IngressConfig) => {
      try {
        renderIngressStack('prod', c);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    const noEmail = refusal({ ...ingress, acmeEmail: undefined });
    expect(noEmail.message).toContain('clusters.prod.ingress.acme_email is not set');
    expect(noEmail.fix).toContain('acme_email: ops@example.com');
    const off = refusal({ ...ingress, enabled: false });
    expect(off.message).toBe(
      'Cluster prod has its ingress turned off (clusters.prod.ingress.enabled: false), so Otto does not deploy otto-ingress there.',
    );
  });

  it('renders from a parsed otto.yml', () => {
    const c = buildConfig(
      {
        clusters: {
          prod: {
            managers: [{ host: '203.0.113.10', user: 'deploy', private_key_file: '/k' }],
            ingress: { acme_email: 'ops@example.com' },
          },
        },
      },
      '/srv/otto',
      '/srv/otto/otto.yml',
    );
    expect(renderIngressStack('prod', c.clusters.get('prod')!.ingress).args).toEqual(OTTO_ARGS);
  });
});

describe('a launch with domains on a cluster whose ingress is off', () => {
  it('says so, and how to turn it on or bring a Traefik of one’s own', () => {
    expect(ingressOffNotice('prod', ['app.example.com'])).toEqual({
      note: 'Cluster prod has its ingress turned off (clusters.prod.ingress.enabled: false): Otto runs no Traefik there, so app.example.com is served only by a Traefik of your own on the traefik-public network.',
      fix: 'Turn the ingress on (remove clusters.prod.ingress.enabled: false from otto.yml) and run otto outpost add for a manager of prod, or create the network for your own Traefik: docker network create --driver overlay --attachable traefik-public. Then launch again.',
    });
    expect(
      ingressOffNotice('prod', ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com'])
        .note,
    ).toContain('so a.example.com, b.example.com, c.example.com, … are served');
  });
});

import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { parseCompose, renderCompose } from '../../src/swarm/compose.js';
import { previewCompose, previewDomain, previewFleetName } from '../../src/swarm/preview.js';

// A pull request's preview: its own fleet name, its own domain on the services
// listed, and no production domain anywhere.

const SHOP = `x-web: &web
  image: ghcr.io/acme/shop:\${TAG:-1.0}
services:
  web:
    <<: *web
    x-otternauts: {domains: [shop.example.com, www.shop.example.com], port: 8080}
  admin:
    image: ghcr.io/acme/admin:1
    x-otternauts: {domains: [admin.shop.example.com], port: 9000}
  worker:
    image: ghcr.io/acme/worker:1
`;

describe('previews', () => {
  it('names the preview fleet and domain', () => {
    expect(previewFleetName('shop', 42)).toBe('shop-pr-42');
    const long = 'a'.repeat(63);
    expect(previewFleetName(long, 12345)).toBe(`${'a'.repeat(54)}-pr-12345`);
    expect(previewFleetName(long, 12345)).toHaveLength(63);
    expect(previewDomain('pr-{number}.shop.example.com', 42)).toBe('pr-42.shop.example.com');
  });

  it('routes the listed services on the preview domain, and no production domain', () => {
    const text = previewCompose(SHOP, 'pr-42.shop.example.com', ['web'], 'shop.yml');
    const rendered = renderCompose(parseCompose(text, 'preview'), 'shop-pr-42', new Map());
    expect(rendered.text).toContain('Host(`pr-42.shop.example.com`)');
    expect(rendered.text).not.toContain('shop.example.com`) ||');
    expect(rendered.text).not.toMatch(/Host\(`(www\.|admin\.)?shop\.example\.com`\)/);
    // Variables stay for the launch to fill; merges are resolved as Docker reads them.
    expect(text).toContain('image: ghcr.io/acme/shop:${TAG:-1.0}');
    expect(rendered.images.get('web')).toBe('ghcr.io/acme/shop:1.0');
  });

  it('refuses a listed service that is missing or has no port to route to', () => {
    expect(() => previewCompose(SHOP, 'pr-1.example.com', ['api'], 'shop.yml')).toThrow(
      ComposeError,
    );
    expect(() => previewCompose(SHOP, 'pr-1.example.com', ['worker'], 'shop.yml')).toThrow(
      /service worker of shop\.yml has no x-otternauts\.port/,
    );
  });
});

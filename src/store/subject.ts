/**
 * What a health record or an incident is about, kept in the database as one string:
 * `service:<cluster>:<swarm service>`, `node:<cluster>:<hostname>`, `cluster:<name>`.
 * This type is the only place that string is built or taken apart.
 */
export type Subject =
  | { readonly kind: 'service'; readonly cluster: string; readonly service: string }
  | { readonly kind: 'node'; readonly cluster: string; readonly hostname: string }
  | { readonly kind: 'cluster'; readonly cluster: string };

/** Reads and writes {@link Subject} strings. */
export const Subject = {
  /** @example Subject.format({ kind: 'node', cluster: 'prod', hostname: 'w1' }) // 'node:prod:w1' */
  format(s: Subject): string {
    switch (s.kind) {
      case 'service':
        return `service:${s.cluster}:${s.service}`;
      case 'node':
        return `node:${s.cluster}:${s.hostname}`;
      case 'cluster':
        return `cluster:${s.cluster}`;
    }
  },

  /** The subject a string holds; a hostname may itself hold colons. */
  parse(text: string): Subject | undefined {
    const i = text.indexOf(':');
    const j = text.indexOf(':', i + 1);
    const kind = text.slice(0, i);
    if (kind === 'cluster' && i > 0 && j < 0 && text.length > i + 1)
      return { kind, cluster: text.slice(i + 1) };
    if (j < 0 || j === i + 1 || j === text.length - 1) return undefined;
    const cluster = text.slice(i + 1, j);
    const name = text.slice(j + 1);
    if (kind === 'service') return { kind, cluster, service: name };
    if (kind === 'node') return { kind, cluster, hostname: name };
    return undefined;
  },
};

import { Document, isMap, isScalar, Scalar, visit, type Pair } from 'yaml';
import { plainIsString } from './docker-yaml.js';
import type { ComposeNote, RebuiltCompose } from './stack-compose.js';

/** The key/value pair at `path` of the document, if there is one. */
function pairAt(doc: Document, path: readonly string[]): Pair | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1)) : doc.contents;
  if (!isMap(parent)) return undefined;
  return parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
}

function attach(doc: Document, note: ComposeNote): void {
  const pair = pairAt(doc, note.path);
  if (!pair || !isScalar(pair.key)) return;
  if (note.at === 'line' && isScalar(pair.value)) {
    pair.value.comment = note.text;
    return;
  }
  const before = pair.key.commentBefore;
  pair.key.commentBefore = before ? `${before}\n${note.text}` : note.text;
}

/**
 * A rebuilt compose file as YAML, with its notes as comments and `header` on top. Every
 * string the docker CLI's YAML reader (yaml.v3) would read as something else when
 * written plain (`1_000`, `0b1`) is double-quoted; a blank line sets services and
 * top-level sections apart.
 * @example composeText({ data: { services: { web: { image: 'nginx' } } }, notes: [] }, ' hi') // '# hi\n\nservices:\n  web:\n    image: nginx\n'
 */
export function composeText(rebuilt: RebuiltCompose, header: string): string {
  const doc = new Document(rebuilt.data);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !plainIsString(node.value))
        node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  const top = doc.contents;
  if (isMap(top)) {
    top.items.forEach((p, i) => {
      if (i > 0 && isScalar(p.key)) p.key.spaceBefore = true;
    });
    const services = doc.getIn(['services']);
    if (isMap(services))
      services.items.forEach((p, i) => {
        if (i > 0 && isScalar(p.key)) p.key.spaceBefore = true;
      });
  }
  for (const note of rebuilt.notes) attach(doc, note);
  doc.commentBefore = header;
  return doc.toString({ lineWidth: 0 });
}

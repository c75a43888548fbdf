/**
 * The classic "billion laughs" YAML: nine levels of nine aliases, 9^9 (387 million)
 * strings once expanded. It parses in microseconds; expanding it exhausts memory.
 * `under` nests it below a key, so that it can sit in a compose file or otto.yml.
 */
export function billionLaughs(under = 'x-lol'): string {
  const levels = 'abcdefghi'.split('');
  const lines = levels.map((name, i) => {
    const item = i === 0 ? '"lol"' : `*${levels[i - 1]}`;
    return `  ${name}: &${name} [${Array(9).fill(item).join(', ')}]`;
  });
  return `${under}:\n${lines.join('\n')}\n`;
}

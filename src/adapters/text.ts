import type { Reply } from '../commands/types.js';

/** Draws a reply as plain text: the console and `otto say` print this. */
export function renderText(reply: Reply): string {
  const out = [reply.text];
  for (const f of reply.fields ?? []) {
    const lines = f.value.split('\n');
    if (lines.length === 1) out.push(`  ${f.label}: ${f.value}`);
    else out.push(`  ${f.label}`, ...lines.map((l) => `    ${l}`));
  }
  if (reply.block?.length) out.push(...reply.block.map((l) => `    ${l}`));
  if (reply.fix) out.push(`→ ${reply.fix}`);
  if (reply.buttons?.length)
    out.push(reply.buttons.map((b) => `[${b.label}: ${b.command}]`).join(' '));
  return out.join('\n');
}

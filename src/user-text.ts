/**
 * Text a person typed (a lock or deny reason, a command echoed back) is drawn as
 * they wrote it, but never as a mention: adapters turn `slack:U…`, `slack:C…` and
 * `discord:<id>` into pings, and only identities Otto itself inserts may ping.
 * A word joiner (U+2060, invisible) after the colon keeps the adapters' patterns
 * from matching while the text still reads the same.
 *
 * @example userText('ask slack:U0BOB') // 'ask slack:\u2060U0BOB', drawn as plain text
 */
export function userText(text: string): string {
  return (
    text
      .replace(/\b(slack|discord|slack-group|discord-role):(?=[A-Za-z0-9])/g, '$1:\u2060')
      // Discord's raw mention syntax (<@id>, <@&role>, <#channel>) typed by a person.
      .replace(/<(?=[@#!])/g, '<\u2060')
  );
}

import { StringDecoder } from 'node:string_decoder';

/** Decodes a stream's chunks as UTF-8, a character cut between two chunks kept for the next. */
export function utf8Chunks(onText: (text: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  return (chunk) => {
    const text = decoder.write(chunk);
    if (text) onText(text);
  };
}

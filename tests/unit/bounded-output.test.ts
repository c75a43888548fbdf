import { describe, expect, it } from 'vitest';
import { BoundedOutput } from '../../src/transport/bounded-output.js';
import { LocalTransport } from '../../src/transport/local-transport.js';

describe('BoundedOutput', () => {
  it('keeps the newest bytes and drops the first, partial line once something was cut', () => {
    const out = new BoundedOutput(20);
    out.push(Buffer.from('line one secret\n'));
    out.push(Buffer.from('line two\n'));
    out.push(Buffer.from('line three\n'));
    expect(out.dropped).toBe(16);
    expect(out.text()).toBe('line three\n');
    const small = new BoundedOutput(100);
    small.push(Buffer.from('all\nof it\n'));
    expect(small.text()).toBe('all\nof it\n');
    expect(small.dropped).toBe(0);
  });

  it('bounds what a local command may print', async () => {
    // 40 MiB of output: far past the limit; Otto keeps at most 8 MiB and ends whole lines.
    const r = await new LocalTransport().run([
      'sh',
      '-c',
      'yes 0123456789abcdef0123456789abcdef | head -c 41943040',
    ]);
    expect(r.stdout.length).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    expect(r.stdout.endsWith('0123456789abcdef0123456789abcdef\n')).toBe(true);
  });
});

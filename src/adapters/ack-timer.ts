import { chatAckSeconds } from '../metrics.js';

/** Acknowledges a chat interaction (Slack's ack, Discord's deferReply), timing it for /metrics. */
export async function timedAck(platform: string, ack: () => Promise<unknown>): Promise<void> {
  const done = chatAckSeconds.startTimer({ platform });
  try {
    await ack();
  } finally {
    done();
  }
}

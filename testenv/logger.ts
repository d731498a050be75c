import { pino, type Logger } from 'pino';

/** pino JSON to stderr, so that stdout stays free for what a command prints for people or scripts. */
export function testenvLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
}

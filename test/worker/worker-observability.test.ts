import { Writable } from 'node:stream';
import pino from 'pino';
import { freePort } from '../../scripts/dev-server';
import { startWorkerHealth } from '../../worker/health';
import { PinoTemporalLogger } from '../../worker/temporal-runtime';

describe("the worker's health check", () => {
  it('answers 200 while every worker polls, 503 once one stops, and nothing else', async () => {
    const states = { main: 'RUNNING', broadcast: 'RUNNING' } as Record<string, string>;
    const workers = Object.keys(states).map((name) => ({ getState: () => states[name] as 'RUNNING' }));
    const port = await freePort();
    const server = await startWorkerHealth(workers, port, '127.0.0.1');
    try {
      const health = () => fetch(`http://127.0.0.1:${port}/health`);
      expect((await health()).status).toBe(200);
      states.broadcast = 'DRAINING';
      const down = await health();
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'unavailable' });
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("Temporal's logs", () => {
  it('go through our pino logger, with its level and the SDK meta', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const logger = new PinoTemporalLogger(pino({ level: 'info' }, sink));
    logger.debug('too chatty');
    logger.warn('Activity failed', { workflowId: 'lead-42', attempt: 3 });
    expect(lines).toEqual([expect.objectContaining({ level: 40, component: 'temporal', msg: 'Activity failed', workflowId: 'lead-42', attempt: 3 })]);
  });
});

import { loadConfig } from '../../config';
import { problemsOf } from '../support/config';

describe("the worker's metrics and health settings", () => {
  it('are off unless set; an address is host:port, a health port a port', () => {
    const defaults = loadConfig({});
    expect([defaults.WORKER_METRICS_ADDRESS, defaults.WORKER_HEALTH_PORT]).toEqual([undefined, undefined]);
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '0.0.0.0:9464', WORKER_HEALTH_PORT: '8081' })).toMatchObject({
      WORKER_METRICS_ADDRESS: '0.0.0.0:9464',
      WORKER_HEALTH_PORT: 8081,
    });
    expect(problemsOf({ WORKER_METRICS_ADDRESS: '9464', WORKER_HEALTH_PORT: 'eighty' })).toEqual([
      'WORKER_METRICS_ADDRESS: expected host:port, e.g. 0.0.0.0:9464',
      'WORKER_HEALTH_PORT: expected a port number',
    ]);
    expect(problemsOf({ WORKER_HEALTH_PORT: '70000' })).toEqual(['WORKER_HEALTH_PORT: expected a port number']);
  });
});

describe("the worker's conversation cache", () => {
  it('keeps 1,000 conversations in memory unless set; a count of at least 2', () => {
    expect(loadConfig({}).WORKER_MAX_CACHED_WORKFLOWS).toBe(1000);
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '5000' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(5000);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toEqual(['WORKER_MAX_CACHED_WORKFLOWS: expected a number of workflows']);
    expect(problemsOf({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toHaveLength(1);
  });
});

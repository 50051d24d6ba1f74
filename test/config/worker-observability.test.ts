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

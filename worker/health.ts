import { createServer, type Server } from 'node:http';
import type { Worker } from '@temporalio/worker';

/**
 * `GET /health` of a worker process, for a container's liveness check or a load balancer: 200 while
 * every worker in the process is polling its task queue, 503 with the states otherwise. Nothing else
 * is served and nothing about the deployment is told.
 */
export function startWorkerHealth(workers: readonly Pick<Worker, 'getState'>[], port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    const healthy = workers.every((worker) => worker.getState() === 'RUNNING');
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: healthy ? 'ok' : 'unavailable' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

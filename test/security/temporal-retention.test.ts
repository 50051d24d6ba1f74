import { Connection } from '@temporalio/client';
import { DEV_SERVER_RETENTION_MS, startDevServer, type DevServer } from '../../scripts/dev-server';
import { temporalCliPath } from '../../scripts/temporal-binaries';

jest.setTimeout(120_000);

let server: DevServer | undefined;
afterAll(() => server?.stop());

describe('the embedded Temporal dev server', () => {
  it('keeps closed workflow histories 3 days, whatever the CLI version defaults to', async () => {
    server = await startDevServer({ cliPath: temporalCliPath(), namespace: 'retention-test', retentionMs: DEV_SERVER_RETENTION_MS });
    const connection = await Connection.connect({ address: server.address });
    try {
      const described = await connection.workflowService.describeNamespace({ namespace: 'retention-test' });
      expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(3 * 24 * 3600);
    } finally {
      await connection.close();
    }
  });
});

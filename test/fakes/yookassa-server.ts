/**
 * A fake YooKassa API v3: a real HTTP server the adapter talks to through YOOKASSA_API_BASE. It
 * answers like YooKassa (yookassa.ru/developers/api): Basic auth with shopId and secret key (401
 * `invalid_credentials` otherwise), GET /v3/payments/{id} and GET /v3/refunds/{id} (404 `not_found`
 * for an id it does not have), POST /v3/payments with an Idempotence-Key (400 without one; the same
 * key again returns the same payment). Errors have YooKassa's body:
 * `{"type":"error","id":…,"code":…,"description":…}`. Tests put payments and refunds in with
 * `addPayment` / `addRefund` and see every request in `requests`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { YooKassaPayment, YooKassaRefund } from '../../api/payments/yookassa-api';

export interface RecordedYooKassaRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  status: number;
}

export class FakeYooKassaServer {
  readonly requests: RecordedYooKassaRequest[] = [];
  private readonly payments = new Map<string, YooKassaPayment>();
  private readonly refunds = new Map<string, YooKassaRefund>();
  private readonly byIdempotenceKey = new Map<string, YooKassaPayment>();

  private constructor(
    private readonly server: Server,
    readonly shopId: string,
    readonly secretKey: string,
  ) {}

  static async start(credentials: { shopId: string; secretKey: string }): Promise<FakeYooKassaServer> {
    let fake: FakeYooKassaServer | undefined;
    const server = createServer((request, response) => void fake?.handle(request, response));
    fake = new FakeYooKassaServer(server, credentials.shopId, credentials.secretKey);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** What YOOKASSA_API_BASE is set to. */
  get apiBase(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v3`;
  }

  /** A payment as YooKassa keeps it; the defaults are a succeeded 100.00 RUB card payment. */
  addPayment(payment: Partial<YooKassaPayment> & { id?: string }): YooKassaPayment {
    const status = payment.status ?? 'succeeded';
    const full: YooKassaPayment = {
      id: payment.id ?? randomUUID(),
      status,
      paid: status === 'succeeded' || status === 'waiting_for_capture',
      amount: payment.amount ?? { value: '100.00', currency: 'RUB' },
      metadata: payment.metadata ?? {},
      test: false,
      ...payment,
    };
    this.payments.set(full.id, full);
    return full;
  }

  addRefund(refund: Omit<YooKassaRefund, 'id' | 'status'> & Partial<Pick<YooKassaRefund, 'id' | 'status'>>): YooKassaRefund {
    const full: YooKassaRefund = { id: refund.id ?? randomUUID(), status: refund.status ?? 'succeeded', ...refund };
    this.refunds.set(full.id, full);
    return full;
  }

  /** The requests for one path, e.g. `/v3/payments/<id>`. */
  requestsTo(method: string, path: string): RecordedYooKassaRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (request.url ?? '/').split('?')[0];
    const recorded: RecordedYooKassaRequest = { method: request.method ?? 'GET', path, headers: request.headers, status: 0 };
    this.requests.push(recorded);
    const answer = (status: number, body: unknown) => {
      recorded.status = status;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, description: string, parameter?: string) =>
      answer(status, { type: 'error', id: randomUUID(), code, description, ...(parameter && { parameter }) });

    const expected = `Basic ${Buffer.from(`${this.shopId}:${this.secretKey}`).toString('base64')}`;
    if (request.headers.authorization !== expected) {
      return error(401, 'invalid_credentials', "Authentication by given credentials failed. Check the shopId and the secret key.");
    }
    const object = /^\/v3\/(payments|refunds)\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && object) {
      const id = decodeURIComponent(object[2]);
      const found = object[1] === 'payments' ? this.payments.get(id) : this.refunds.get(id);
      return found ? answer(200, found) : error(404, 'not_found', `Incorrect ${object[1] === 'payments' ? 'payment' : 'refund'} id. Object with id=${id} not found`);
    }
    if (request.method === 'POST' && path === '/v3/payments') {
      const key = request.headers['idempotence-key'];
      if (typeof key !== 'string' || key === '') return error(400, 'invalid_request', 'Idempotence key is missing', 'Idempotence-Key');
      let body: { amount?: { value?: string; currency?: string }; confirmation?: { type?: string; return_url?: string }; metadata?: Record<string, string> };
      try {
        body = JSON.parse(text);
      } catch {
        return error(400, 'invalid_request', 'Request body is not valid JSON');
      }
      recorded.body = body;
      if (!body.amount?.value || !body.amount.currency) return error(400, 'invalid_request', 'Missing required parameter amount', 'amount');
      const again = this.byIdempotenceKey.get(key);
      if (again) return answer(200, again);
      const id = randomUUID();
      const payment = this.addPayment({
        id,
        status: 'pending',
        paid: false,
        amount: { value: body.amount.value, currency: body.amount.currency },
        metadata: body.metadata ?? {},
        confirmation: { type: 'redirect', return_url: body.confirmation?.return_url, confirmation_url: `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${id}` },
      });
      this.byIdempotenceKey.set(key, payment);
      return answer(200, payment);
    }
    return error(404, 'not_found', 'Incorrect URL');
  }
}
